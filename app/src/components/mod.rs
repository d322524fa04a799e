//! Pieces shared by the staff pages: the shell around them, feedback (loading, errors),
//! status labels, and the live event stream.

pub mod conversation;
pub mod feedback;
pub mod live;
pub mod shell;
pub mod status;
