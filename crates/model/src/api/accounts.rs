//! Logging in and out.

use serde::{Deserialize, Serialize};

/// `POST /api/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// The signed-in account: the answer to `POST /api/login` and `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub name: String,
    /// Its sidebar has Administration.
    #[serde(default)]
    pub admin: bool,
}

/// The answer to `POST /api/logout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedOut {
    pub ok: bool,
}
