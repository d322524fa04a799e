//! Pieces shared by the staff pages: the shell around them, feedback (loading, errors),
//! forms that post under the public path prefix, status labels, and the live event stream.

pub mod conversation;
pub mod feedback;
pub mod form;
pub mod live;
pub mod shell;
pub mod status;
