//! The errors of `coreweave.sandbox.v1`: a gRPC status code, and in the
//! `grpc-status-details-bin` trailer a `google.rpc.Status` whose details hold an
//! `ErrorInfo` with a `CWSANDBOX_*` reason in the `cwsandbox.com` domain (the domain
//! the SDK trusts).

use std::collections::HashMap;

use prost::Message;

use crate::rpc::{ErrorInfo, Status};

/// The domain of the service's reasons.
pub const DOMAIN: &str = "cwsandbox.com";

/// The type URL of an `ErrorInfo` packed in a `google.protobuf.Any`.
pub const ERROR_INFO_TYPE_URL: &str = "type.googleapis.com/google.rpc.ErrorInfo";

/// The reasons this project sends or explains, as the SDK names them.
pub mod reason {
    pub const SANDBOX_NOT_FOUND: &str = "CWSANDBOX_SANDBOX_NOT_FOUND";
    pub const FILE_NOT_FOUND: &str = "CWSANDBOX_FILE_NOT_FOUND";
    pub const FILE_TOO_LARGE: &str = "CWSANDBOX_FILE_TOO_LARGE";
    pub const FILE_PERMISSION_DENIED: &str = "CWSANDBOX_FILE_PERMISSION_DENIED";
    pub const FILE_IS_DIRECTORY: &str = "CWSANDBOX_FILE_IS_DIRECTORY";
    pub const FILE_IO_FAILED: &str = "CWSANDBOX_FILE_IO_FAILED";
    pub const COMMAND_TIMEOUT: &str = "CWSANDBOX_COMMAND_TIMEOUT";
    pub const RUNNER_CAPACITY_EXHAUSTED: &str = "CWSANDBOX_RUNNER_CAPACITY_EXHAUSTED";
    pub const RUNNER_OVERLOADED: &str = "CWSANDBOX_RUNNER_OVERLOADED";
    pub const RUNNER_UNAVAILABLE: &str = "CWSANDBOX_RUNNER_UNAVAILABLE";
    pub const BACKEND_UNAVAILABLE: &str = "CWSANDBOX_BACKEND_UNAVAILABLE";
    pub const NO_SUITABLE_RUNNER: &str = "CWSANDBOX_NO_SUITABLE_RUNNER";
    pub const RESOURCE_CEILING_EXCEEDED: &str = "CWSANDBOX_RESOURCE_CEILING_EXCEEDED";
    pub const INVALID_REQUEST: &str = "CWSANDBOX_INVALID_REQUEST";
}

/// A status with `code`, `message`, and an `ErrorInfo` of `reason` in [`DOMAIN`].
pub fn status_with_reason(
    code: tonic::Code,
    message: impl Into<String>,
    reason: &str,
    metadata: impl IntoIterator<Item = (String, String)>,
) -> tonic::Status {
    let message = message.into();
    let info = ErrorInfo {
        reason: reason.to_owned(),
        domain: DOMAIN.to_owned(),
        metadata: metadata.into_iter().collect::<HashMap<_, _>>(),
    };
    let details = Status {
        code: code as i32,
        message: message.clone(),
        details: vec![prost_types::Any {
            type_url: ERROR_INFO_TYPE_URL.to_owned(),
            value: info.encode_to_vec(),
        }],
    };
    tonic::Status::with_details(code, message, details.encode_to_vec().into())
}

/// The `ErrorInfo` of a status, if its details carry one.
pub fn error_info(status: &tonic::Status) -> Option<ErrorInfo> {
    let details = Status::decode(status.details()).ok()?;
    details
        .details
        .iter()
        .find(|any| any.type_url == ERROR_INFO_TYPE_URL)
        .and_then(|any| ErrorInfo::decode(any.value.as_slice()).ok())
}

/// The reason of a status, when its `ErrorInfo` is in the service's domain.
pub fn reason(status: &tonic::Status) -> Option<String> {
    error_info(status)
        .filter(|info| info.domain == DOMAIN)
        .map(|info| info.reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_survives_the_trailer() {
        let status = status_with_reason(
            tonic::Code::NotFound,
            "file not found: /tmp/x",
            reason::FILE_NOT_FOUND,
            [("filepath".to_owned(), "/tmp/x".to_owned())],
        );
        // Through the wire form: headers and trailers, as a peer receives them.
        let mut headers = tonic::metadata::MetadataMap::new().into_headers();
        status.add_header(&mut headers).unwrap();
        let received = tonic::Status::from_header_map(&headers).unwrap();
        assert_eq!(received.code(), tonic::Code::NotFound);
        assert_eq!(received.message(), "file not found: /tmp/x");
        let info = error_info(&received).unwrap();
        assert_eq!(info.reason, "CWSANDBOX_FILE_NOT_FOUND");
        assert_eq!(info.domain, "cwsandbox.com");
        assert_eq!(info.metadata["filepath"], "/tmp/x");
        assert_eq!(
            reason(&received).as_deref(),
            Some("CWSANDBOX_FILE_NOT_FOUND")
        );
        assert_eq!(reason(&tonic::Status::not_found("plain")), None);
    }
}
