"""A strict ATCService client, as the SDK's generated client parses replies: proto3
JSON with ignore_unknown_fields=False, messages as the December 2025 schema has them.
A reply field the schema does not have fails the parse.

Not part of the Rust suites (it needs protobuf and httpx):

    python3 -m venv /tmp/strict-venv && /tmp/strict-venv/bin/pip install protobuf httpx
    aviato-lsp sandbox-server --listen 127.0.0.1:7001 &
    /tmp/strict-venv/bin/python tests/remote/strict_client.py http://127.0.0.1:7001
"""
import base64, sys, time
import httpx
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

F = descriptor_pb2.FieldDescriptorProto
fdp = descriptor_pb2.FileDescriptorProto(name="atc.proto", package="coreweave.aviato.v1beta1", syntax="proto3")
enum = fdp.enum_type.add(name="SandboxStatus")
for name, number in [("UNSPECIFIED",0),("CREATING",1),("RUNNING",2),("COMPLETED",3),("FAILED",4),("TERMINATED",5),("PENDING",6),("PAUSED",7)]:
    enum.value.add(name="SANDBOX_STATUS_"+name, number=number)

def message(name, *fields):
    m = fdp.message_type.add(name=name)
    for number, (fname, ftype, *rest) in enumerate(fields, 1):
        f = m.field.add(name=fname, number=number, type=ftype, label=F.LABEL_OPTIONAL)
        if rest and rest[0] == "repeated":
            f.label = F.LABEL_REPEATED
        elif rest:
            f.type_name = rest[0]
S, B, I, BOOL, E, M = F.TYPE_STRING, F.TYPE_BYTES, F.TYPE_INT32, F.TYPE_BOOL, F.TYPE_ENUM, F.TYPE_MESSAGE
message("StartSandboxRequest", ("command", S), ("args", S, "repeated"), ("tags", S, "repeated"), ("container_image", S), ("max_lifetime_seconds", I))
message("StartSandboxResponse", ("sandbox_id", S))
message("GetSandboxRequest", ("sandbox_id", S))
message("GetSandboxResponse", ("sandbox_id", S), ("sandbox_status", E, ".coreweave.aviato.v1beta1.SandboxStatus"), ("tower_id", S), ("runway_id", S))
message("AddFileSandboxRequest", ("sandbox_id", S), ("file_contents", B), ("filepath", S), ("max_timeout_seconds", I))
message("AddFileSandboxResponse", ("success", BOOL), ("error_message", S))
message("ExecSandboxRequest", ("sandbox_id", S), ("command", S, "repeated"), ("args", S, "repeated"), ("max_timeout_seconds", I))
message("ExecResponse", ("stdout", S), ("stderr", S), ("exit_code", I))
message("ExecSandboxResponse", ("result", M, ".coreweave.aviato.v1beta1.ExecResponse"))
message("RetrieveFileSandboxRequest", ("sandbox_id", S), ("filepath", S), ("max_timeout_seconds", I))
message("RetrieveFileSandboxResponse", ("file_contents", B), ("success", BOOL), ("error_message", S))
message("StopSandboxRequest", ("sandbox_id", S), ("graceful_shutdown_seconds", I), ("snapshot_on_stop", BOOL))
message("StopSandboxResponse", ("success", BOOL), ("error_message", S))
pool = descriptor_pool.DescriptorPool()
pool.Add(fdp)
def cls(name):
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("coreweave.aviato.v1beta1." + name))

base = sys.argv[1].rstrip("/")
http = httpx.Client()
def call(method, req_name, resp_name, **fields):
    request = cls(req_name)(**fields)
    body = json_format.MessageToJson(request)
    r = http.post(f"{base}/coreweave.aviato.v1beta1.ATCService/{method}", content=body,
                  headers={"content-type": "application/json", "connect-protocol-version": "1"}, timeout=60)
    assert r.status_code == 200, (method, r.status_code, r.text)
    return json_format.Parse(r.text, cls(resp_name)(), ignore_unknown_fields=False)

sid = call("Start", "StartSandboxRequest", "StartSandboxResponse", command="tail", args=["-f", "/dev/null"], tags=["probe"], container_image="python:3.11").sandbox_id
while True:
    status = call("Get", "GetSandboxRequest", "GetSandboxResponse", sandbox_id=sid).sandbox_status
    if status == 2: break
    time.sleep(0.2)
ok = call("AddFile", "AddFileSandboxRequest", "AddFileSandboxResponse", sandbox_id=sid, file_contents=b'{"x": 41}', filepath="/tmp/sandbox_payload_1.bin", max_timeout_seconds=300)
assert ok.success
script = "import json,base64,sys; d=json.load(open('/tmp/sandbox_payload_1.bin')); json.dump({'r': d['x']+1}, open('/tmp/sandbox_result_1.bin','w')); print('hi'); sys.stderr.write('warn\\n')"
ex = call("Exec", "ExecSandboxRequest", "ExecSandboxResponse", sandbox_id=sid, command=["python", "-c", script], max_timeout_seconds=300)
assert base64.b64decode(ex.result.stdout) == b"hi\n" and ex.result.stderr == "warn\n" and ex.result.exit_code == 0, ex
got = call("RetrieveFile", "RetrieveFileSandboxRequest", "RetrieveFileSandboxResponse", sandbox_id=sid, filepath="/tmp/sandbox_result_1.bin", max_timeout_seconds=300)
assert got.success and got.file_contents == b'{"r": 42}', got
bad = call("RetrieveFile", "RetrieveFileSandboxRequest", "RetrieveFileSandboxResponse", sandbox_id=sid, filepath="/tmp/nope")
assert not bad.success and bad.error_message
fail = call("Exec", "ExecSandboxRequest", "ExecSandboxResponse", sandbox_id=sid, command=["python", "-c", "raise SystemExit(3)"])
assert fail.result.exit_code == 3
st = call("Stop", "StopSandboxRequest", "StopSandboxResponse", sandbox_id=sid, graceful_shutdown_seconds=10)
assert st.success
print("strict client: all six calls parsed with ignore_unknown_fields=False")
