//! One plan over many databases: which targets a fleet has, in which waves they run, how
//! many at once, and what each one's state is. Each target keeps its own history, lock and
//! event log; nothing here is stored anywhere but on the targets themselves.

pub mod glance;
pub mod matrix;
pub mod run;
pub mod spec;
pub mod target;
pub mod waves;

pub use matrix::{Condition, Matrix, Row};
pub use run::{Limits, Outcome, Stop};
pub use spec::{Discovery, Fleet, Listed, Origin};
pub use target::{FleetError, Identity};
pub use waves::Schedule;
