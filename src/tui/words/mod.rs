//! What the console says in its status line and dialog hints, in one place: the wording of
//! a message is found, and changed, here rather than in the flows that send it. Each domain
//! has a module of its own; the flows reach the unnamed ones through this module.

mod adoption;
mod batch;
mod dialogs;
pub mod facts;
mod fleet;
mod keeping;
mod maintenance;
pub mod phases;
pub mod reads;
mod refusals;
mod results;
mod screen;
pub mod status;
pub mod tabs;

pub use adoption::*;
pub use batch::*;
pub use dialogs::*;
pub use fleet::*;
pub use keeping::*;
pub use maintenance::*;
pub use refusals::*;
pub use results::*;
pub use screen::*;
