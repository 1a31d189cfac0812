//! HTTP handlers, one module per resource. Routes are assembled in
//! [`crate::routes`].

pub mod conversation;
pub mod destinations;
pub mod health;
pub mod session;
pub mod staff;
pub mod tokens;
pub mod views;
