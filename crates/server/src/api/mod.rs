//! HTTP handlers, one module per resource. Routes are assembled in
//! [`crate::routes`].

pub mod attachments;
pub mod channels;
pub mod console;
pub mod conversation;
pub mod destinations;
pub mod enquiries;
pub mod facebook_login;
pub mod health;
pub mod offers;
pub mod profile;
pub mod routing;
pub mod schema;
pub mod session;
pub mod staff;
pub mod tokens;
pub mod views;
