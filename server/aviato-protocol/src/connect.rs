//! The ATCService messages (`coreweave.aviato.v1beta1`) as Connect unary JSON carries
//! them, for the calls one run of a sandbox function makes.
//!
//! Writing is strict and reading is tolerant, as proto3 JSON peers are: a message is
//! written with its lowerCamelCase field names, only the fields of the service's schema,
//! and no field equal to its default. It is read from lowerCamelCase or snake_case keys,
//! enums by name or number, integers as numbers or strings, missing fields as defaults,
//! unknown fields ignored. A strict client fails on a response field it does not know,
//! so the response types hold only fields its schema has.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// The path prefix of every call: `POST {base_url}/coreweave.aviato.v1beta1.ATCService/{Method}`.
pub const SERVICE_PATH: &str = "/coreweave.aviato.v1beta1.ATCService/";

/// The calls a run makes, in the order it makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Start,
    Get,
    AddFile,
    Exec,
    RetrieveFile,
    Stop,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::Start,
        Method::Get,
        Method::AddFile,
        Method::Exec,
        Method::RetrieveFile,
        Method::Stop,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Method::Start => "Start",
            Method::Get => "Get",
            Method::AddFile => "AddFile",
            Method::Exec => "Exec",
            Method::RetrieveFile => "RetrieveFile",
            Method::Stop => "Stop",
        }
    }

    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|method| method.name() == name)
    }

    /// Whether a second attempt cannot do what the first did not: reading, and
    /// stopping what may already be stopped.
    pub const fn safe_to_repeat(self) -> bool {
        matches!(self, Method::Get | Method::RetrieveFile | Method::Stop)
    }
}

/// `StartSandboxRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartRequest {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(
        default,
        alias = "container_image",
        skip_serializing_if = "String::is_empty"
    )]
    pub container_image: String,
    #[serde(
        default,
        alias = "max_lifetime_seconds",
        deserialize_with = "integer",
        skip_serializing_if = "is_zero"
    )]
    pub max_lifetime_seconds: i32,
}

/// `StartSandboxResponse`: of its fields, only the one the SDK reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartResponse {
    #[serde(
        default,
        alias = "sandbox_id",
        skip_serializing_if = "String::is_empty"
    )]
    pub sandbox_id: String,
}

/// `GetSandboxRequest`, also the shape of a request naming only a sandbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetRequest {
    #[serde(
        default,
        alias = "sandbox_id",
        skip_serializing_if = "String::is_empty"
    )]
    pub sandbox_id: String,
}

/// `GetSandboxResponse`: the fields the SDK reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetResponse {
    #[serde(
        default,
        alias = "sandbox_status",
        skip_serializing_if = "SandboxStatus::is_unspecified"
    )]
    pub sandbox_status: SandboxStatus,
    #[serde(default, alias = "tower_id", skip_serializing_if = "String::is_empty")]
    pub tower_id: String,
    #[serde(default, alias = "runway_id", skip_serializing_if = "String::is_empty")]
    pub runway_id: String,
}

/// `AddFileSandboxRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddFileRequest {
    #[serde(
        default,
        alias = "sandbox_id",
        skip_serializing_if = "String::is_empty"
    )]
    pub sandbox_id: String,
    #[serde(
        default,
        alias = "file_contents",
        with = "base64_bytes",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub file_contents: Vec<u8>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub filepath: String,
    #[serde(
        default,
        alias = "max_timeout_seconds",
        deserialize_with = "integer",
        skip_serializing_if = "is_zero"
    )]
    pub max_timeout_seconds: i32,
}

/// `AddFileSandboxResponse` and `StopSandboxResponse`: soft failures travel in-band.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuccessResponse {
    #[serde(default, skip_serializing_if = "is_false")]
    pub success: bool,
    #[serde(
        default,
        alias = "error_message",
        skip_serializing_if = "String::is_empty"
    )]
    pub error_message: String,
}

impl SuccessResponse {
    pub fn succeeded() -> Self {
        Self {
            success: true,
            error_message: String::new(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            success: false,
            error_message: message.into(),
        }
    }
}

/// `ExecSandboxRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecRequest {
    #[serde(
        default,
        alias = "sandbox_id",
        skip_serializing_if = "String::is_empty"
    )]
    pub sandbox_id: String,
    /// The full argv, e.g. `["python", "-c", "..."]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Appended to `command`; the SDK never sets it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(
        default,
        alias = "max_timeout_seconds",
        deserialize_with = "integer",
        skip_serializing_if = "is_zero"
    )]
    pub max_timeout_seconds: i32,
}

/// `ExecSandboxResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecResponse {
    #[serde(default)]
    pub result: ExecResult,
}

/// `ExecResponse`. In the SDK's schema `stdout` is base64 text and `stderr` plain text
/// (later schemas made both `bytes`, base64 in JSON): written that way, read either way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecResult {
    #[serde(
        default,
        serialize_with = "base64_bytes::serialize",
        deserialize_with = "base64_or_text",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub stdout: Vec<u8>,
    #[serde(
        default,
        serialize_with = "lossy_text",
        deserialize_with = "base64_or_text",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub stderr: Vec<u8>,
    #[serde(
        default,
        alias = "exit_code",
        deserialize_with = "integer",
        skip_serializing_if = "is_zero"
    )]
    pub exit_code: i32,
}

/// `RetrieveFileSandboxRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetrieveFileRequest {
    #[serde(
        default,
        alias = "sandbox_id",
        skip_serializing_if = "String::is_empty"
    )]
    pub sandbox_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub filepath: String,
    #[serde(
        default,
        alias = "max_timeout_seconds",
        deserialize_with = "integer",
        skip_serializing_if = "is_zero"
    )]
    pub max_timeout_seconds: i32,
}

/// `RetrieveFileSandboxResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetrieveFileResponse {
    #[serde(
        default,
        alias = "file_contents",
        with = "base64_bytes",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub file_contents: Vec<u8>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub success: bool,
    #[serde(
        default,
        alias = "error_message",
        skip_serializing_if = "String::is_empty"
    )]
    pub error_message: String,
}

/// `StopSandboxRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopRequest {
    #[serde(
        default,
        alias = "sandbox_id",
        skip_serializing_if = "String::is_empty"
    )]
    pub sandbox_id: String,
    #[serde(
        default,
        alias = "graceful_shutdown_seconds",
        deserialize_with = "integer",
        skip_serializing_if = "is_zero"
    )]
    pub graceful_shutdown_seconds: i32,
    #[serde(default, alias = "snapshot_on_stop", skip_serializing_if = "is_false")]
    pub snapshot_on_stop: bool,
}

/// `coreweave.aviato.v1beta1.SandboxStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SandboxStatus {
    #[default]
    Unspecified,
    Creating,
    Running,
    Completed,
    Failed,
    Terminated,
    Pending,
    Paused,
}

impl SandboxStatus {
    const ALL: [SandboxStatus; 8] = [
        SandboxStatus::Unspecified,
        SandboxStatus::Creating,
        SandboxStatus::Running,
        SandboxStatus::Completed,
        SandboxStatus::Failed,
        SandboxStatus::Terminated,
        SandboxStatus::Pending,
        SandboxStatus::Paused,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            SandboxStatus::Unspecified => "SANDBOX_STATUS_UNSPECIFIED",
            SandboxStatus::Creating => "SANDBOX_STATUS_CREATING",
            SandboxStatus::Running => "SANDBOX_STATUS_RUNNING",
            SandboxStatus::Completed => "SANDBOX_STATUS_COMPLETED",
            SandboxStatus::Failed => "SANDBOX_STATUS_FAILED",
            SandboxStatus::Terminated => "SANDBOX_STATUS_TERMINATED",
            SandboxStatus::Pending => "SANDBOX_STATUS_PENDING",
            SandboxStatus::Paused => "SANDBOX_STATUS_PAUSED",
        }
    }

    pub const fn number(self) -> i64 {
        match self {
            SandboxStatus::Unspecified => 0,
            SandboxStatus::Creating => 1,
            SandboxStatus::Running => 2,
            SandboxStatus::Completed => 3,
            SandboxStatus::Failed => 4,
            SandboxStatus::Terminated => 5,
            SandboxStatus::Pending => 6,
            SandboxStatus::Paused => 7,
        }
    }

    /// The name as `Sandbox.get_status()` gives it: `running`.
    pub fn short_name(self) -> String {
        self.name()["SANDBOX_STATUS_".len()..].to_ascii_lowercase()
    }

    fn is_unspecified(&self) -> bool {
        *self == SandboxStatus::Unspecified
    }
}

impl Serialize for SandboxStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for SandboxStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let found = match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(name) => {
                SandboxStatus::ALL.into_iter().find(|s| s.name() == name)
            }
            serde_json::Value::Number(number) => number
                .as_i64()
                .and_then(|n| SandboxStatus::ALL.into_iter().find(|s| s.number() == n)),
            serde_json::Value::Null => Some(SandboxStatus::Unspecified),
            _ => None,
        };
        // proto3 JSON reads an enum value it does not know as the default.
        Ok(found.unwrap_or_default())
    }
}

/// A Connect error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    Canceled,
    Unknown,
    InvalidArgument,
    DeadlineExceeded,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    ResourceExhausted,
    FailedPrecondition,
    Aborted,
    OutOfRange,
    Unimplemented,
    Internal,
    Unavailable,
    DataLoss,
    Unauthenticated,
}

impl Code {
    const ALL: [Code; 16] = [
        Code::Canceled,
        Code::Unknown,
        Code::InvalidArgument,
        Code::DeadlineExceeded,
        Code::NotFound,
        Code::AlreadyExists,
        Code::PermissionDenied,
        Code::ResourceExhausted,
        Code::FailedPrecondition,
        Code::Aborted,
        Code::OutOfRange,
        Code::Unimplemented,
        Code::Internal,
        Code::Unavailable,
        Code::DataLoss,
        Code::Unauthenticated,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Code::Canceled => "canceled",
            Code::Unknown => "unknown",
            Code::InvalidArgument => "invalid_argument",
            Code::DeadlineExceeded => "deadline_exceeded",
            Code::NotFound => "not_found",
            Code::AlreadyExists => "already_exists",
            Code::PermissionDenied => "permission_denied",
            Code::ResourceExhausted => "resource_exhausted",
            Code::FailedPrecondition => "failed_precondition",
            Code::Aborted => "aborted",
            Code::OutOfRange => "out_of_range",
            Code::Unimplemented => "unimplemented",
            Code::Internal => "internal",
            Code::Unavailable => "unavailable",
            Code::DataLoss => "data_loss",
            Code::Unauthenticated => "unauthenticated",
        }
    }

    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|code| code.as_str() == name)
    }

    /// The HTTP status a server answers with. `unimplemented` is a 404, as for a
    /// path no procedure serves.
    pub const fn http_status(self) -> u16 {
        match self {
            Code::Canceled => 499,
            Code::Unknown | Code::Internal | Code::DataLoss => 500,
            Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => 400,
            Code::DeadlineExceeded => 504,
            Code::NotFound | Code::Unimplemented => 404,
            Code::AlreadyExists | Code::Aborted => 409,
            Code::PermissionDenied => 403,
            Code::ResourceExhausted => 429,
            Code::Unavailable => 503,
            Code::Unauthenticated => 401,
        }
    }

    /// The code of an error whose body is not a Connect error, as Connect clients
    /// derive it from the HTTP status.
    pub const fn from_http_status(status: u16) -> Code {
        match status {
            400 => Code::Internal,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::Unimplemented,
            429 | 502 | 503 | 504 => Code::Unavailable,
            _ => Code::Unknown,
        }
    }
}

/// The body of a Connect error: `{"code": "not_found", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

fn is_zero(value: &i32) -> bool {
    *value == 0
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// An integer as proto3 JSON allows it: a number, or a string of one.
fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i32, D::Error> {
    let value = match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Number(number) => number.as_i64().or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0)
                .map(|f| f as i64)
        }),
        serde_json::Value::String(text) => text.trim().parse::<i64>().ok(),
        serde_json::Value::Null => Some(0),
        _ => None,
    };
    value
        .and_then(|value| i32::try_from(value).ok())
        .ok_or_else(|| de::Error::custom("expected a 32-bit integer"))
}

/// Decodes any of the base64 alphabets proto3 JSON readers accept, padded or not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

/// Output that is base64 in one schema and text in another: base64 when it decodes to
/// UTF-8 text, the text itself otherwise.
fn base64_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?.unwrap_or_default();
    Ok(match decode_base64(&text) {
        Some(bytes) if std::str::from_utf8(&bytes).is_ok() => bytes,
        _ => text.into_bytes(),
    })
}

fn lossy_text<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&String::from_utf8_lossy(bytes))
}

/// A proto `bytes` field: standard base64 with padding.
mod base64_bytes {
    use super::*;

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?.unwrap_or_default();
        decode_base64(&text).ok_or_else(|| de::Error::custom("invalid base64"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_are_written_in_camel_case_without_defaults() {
        let start = StartRequest {
            command: "tail".into(),
            args: vec!["-f".into(), "/dev/null".into()],
            tags: vec!["probe".into()],
            container_image: "python:3.11".into(),
            max_lifetime_seconds: 0,
        };
        assert_eq!(
            serde_json::to_value(&start).unwrap(),
            json!({"command": "tail", "args": ["-f", "/dev/null"], "tags": ["probe"],
                   "containerImage": "python:3.11"})
        );
        let add = AddFileRequest {
            sandbox_id: "sb-1".into(),
            file_contents: b"{}".to_vec(),
            filepath: "/tmp/p".into(),
            max_timeout_seconds: 300,
        };
        assert_eq!(
            serde_json::to_value(&add).unwrap(),
            json!({"sandboxId": "sb-1", "fileContents": "e30=", "filepath": "/tmp/p",
                   "maxTimeoutSeconds": 300})
        );
        let stop = StopRequest {
            sandbox_id: "sb-1".into(),
            ..StopRequest::default()
        };
        assert_eq!(
            serde_json::to_value(&stop).unwrap(),
            json!({"sandboxId": "sb-1"})
        );
    }

    #[test]
    fn responses_are_read_from_either_case_and_any_integer_or_enum_form() {
        let get: GetResponse =
            serde_json::from_value(json!({"sandbox_status": 2, "tower_id": "t", "extra": 1}))
                .unwrap();
        assert_eq!(get.sandbox_status, SandboxStatus::Running);
        assert_eq!(get.tower_id, "t");
        let get: GetResponse =
            serde_json::from_value(json!({"sandboxStatus": "SANDBOX_STATUS_PAUSED"})).unwrap();
        assert_eq!(get.sandbox_status, SandboxStatus::Paused);
        let exec: ExecResponse =
            serde_json::from_value(json!({"result": {"stdout": "aGVsbG8K", "exitCode": "3"}}))
                .unwrap();
        assert_eq!(exec.result.stdout, b"hello\n");
        assert_eq!(exec.result.exit_code, 3);
        let exec: ExecResponse = serde_json::from_value(json!({"result": {}})).unwrap();
        assert_eq!(exec.result.exit_code, 0);
    }

    #[test]
    fn stderr_is_base64_or_text() {
        let plain: ExecResult =
            serde_json::from_value(json!({"stderr": "Traceback (most recent call last):\n"}))
                .unwrap();
        assert_eq!(plain.stderr, b"Traceback (most recent call last):\n");
        let encoded: ExecResult = serde_json::from_value(json!({"stderr": "b29wcw"})).unwrap();
        assert_eq!(encoded.stderr, b"oops");
        // Valid base64 that is not text stays the text it is.
        let word: ExecResult = serde_json::from_value(json!({"stderr": "done"})).unwrap();
        assert_eq!(word.stderr, b"done");
    }

    #[test]
    fn exec_result_is_written_as_the_sdk_schema_has_it() {
        let result = ExecResult {
            stdout: b"hi\n".to_vec(),
            stderr: b"warn\n".to_vec(),
            exit_code: 0,
        };
        assert_eq!(
            serde_json::to_value(ExecResponse { result }).unwrap(),
            json!({"result": {"stdout": "aGkK", "stderr": "warn\n"}})
        );
    }

    #[test]
    fn codes_round_trip_and_map_to_http() {
        for code in Code::ALL {
            assert_eq!(Code::from_name(code.as_str()), Some(code));
        }
        assert_eq!(Code::Unauthenticated.http_status(), 401);
        assert_eq!(Code::from_http_status(503), Code::Unavailable);
        assert_eq!(SandboxStatus::Running.short_name(), "running");
    }
}
