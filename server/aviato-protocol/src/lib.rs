//! The wire protocols of the sandbox services aviato-lsp talks to and serves.
//!
//! [`sandbox`] is gRPC `coreweave.sandbox.v1` as the `cwsandbox` SDK speaks it: the
//! messages and the `SandboxService` methods of one `@session.function()` call, with
//! a client ([`sandbox::sandbox_service_client`]) and a server
//! ([`sandbox::sandbox_service_server`]). [`rpc`] is the rich error model whose
//! `ErrorInfo` carries the service's `CWSANDBOX_*` reasons; [`errors`] reads and
//! writes it.
//!
//! [`connect`] is the Connect unary JSON API of the aviato service
//! (`coreweave.aviato.v1beta1.ATCService`), the one the `aviato` SDK speaks: its
//! requests, responses and error bodies as serde types, which the execution core's
//! client writes and the sandbox server reads, and the other way round.
//!
//! The `.proto` files under `proto/` are compiled at build time by `protox`: no
//! `protoc` is needed.

pub mod connect;
pub mod errors;

/// `coreweave.sandbox.v1`.
pub mod sandbox {
    tonic::include_proto!("coreweave.sandbox.v1");

    /// The gRPC path prefix of the service's methods.
    pub const SERVICE_PATH: &str = "/coreweave.sandbox.v1.SandboxService/";
}

/// `google.rpc`: `Status` and `ErrorInfo`.
pub mod rpc {
    tonic::include_proto!("google.rpc");
}
