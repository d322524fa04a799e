//! Pieces shared by the staff pages: the shell around them, feedback (loading, errors),
//! forms that post under the public path prefix, status labels, the live event stream, the
//! islands' resources, and the mark of a hydrated page.

pub mod conversation;
pub mod feedback;
pub mod form;
pub mod hydration;
pub mod live;
pub mod loaded;
pub mod shell;
