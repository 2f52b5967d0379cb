//! What the SDK would send for one call of a sandbox function, as the host prepares it.

use aviato_analysis::resources::Resources;
use serde::{Deserialize, Serialize};

/// The decorator's `container_image` when it has none: the SDK session's default.
pub use aviato_sandbox::DEFAULT_IMAGE;

/// The decorator's `temp_dir` when it has none.
pub const DEFAULT_TEMP_DIR: &str = "/tmp";

/// How the SDK moves values between client and sandbox: `Serialization` in the
/// aviato SDK, and the one JSON mode of the current SDK (cwsandbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Serialization {
    /// aviato: pydantic `dump_json` on the client, `json.load`/`json.dump` in the sandbox.
    #[default]
    Json,
    /// aviato: `pickle` both ways.
    Pickle,
    /// cwsandbox: a check for non-`str` dict keys and stdlib `json.dumps` on the
    /// client, `json.load`/`json.dump` in the sandbox, `json.loads` of the result.
    StrictJson,
}

impl Serialization {
    pub const fn as_str(self) -> &'static str {
        match self {
            Serialization::Json => "json",
            Serialization::Pickle => "pickle",
            Serialization::StrictJson => "strict_json",
        }
    }
}

/// One call of a sandbox function, ready to run.
///
/// Values travel as Python literal source, evaluated inside the sandbox: the host
/// never builds, and never unpickles, a Python object. Besides Python's literal
/// syntax (numbers, `1j`, strings, bytes, tuples, lists, dicts, sets, `True`, `None`,
/// operators, comprehensions), literal source may name:
///
/// - `bool int float complex str bytes bytearray tuple list dict set frozenset
///   range`, and `nan`, `inf`;
/// - `datetime` both as the class and as the module, as `repr` writes it:
///   `datetime(2024, 1, 2)`, `datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc)`;
///   `date time timedelta timezone`;
/// - `Decimal Fraction UUID Path PosixPath PurePath PurePosixPath`, `OrderedDict
///   defaultdict deque Counter`, and the modules `decimal fractions uuid pathlib
///   collections`, and any other standard library module (`math.sqrt`);
/// - for instances of classes of the user's script: `namedtuple('Pair', 'a b')(1, 2)`,
///   `make_dataclass('Point', ['x', 'y'])(1, 2)`, `Enum('Color', [('RED', 1)]).RED`
///   (and `IntEnum`). In JSON mode they convert as the SDK converts them; in PICKLE
///   mode they fail to load in the sandbox as the SDK's do (sdk-semantics row 13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The user's file path; tracebacks name it.
    pub file_name: String,
    /// The decorated function's name (`func.__name__`).
    pub function_name: String,
    /// The function's source with only its `.function` decorators removed, padded so
    /// that its line numbers are the original file's (e.g. with leading newlines).
    /// An indented function (nested in `main()`) is dedented as the SDK does.
    pub source: String,
    /// Captured globals, then closures, in order: `(name, literal source)`.
    pub captures: Vec<(String, String)>,
    /// A Python argument list: `2, 3` or `"b", x=[1, 2]`; empty for no arguments.
    /// With `map_item`, the items of a cwsandbox `f.map(items)` as one expression.
    pub args_source: String,
    /// Which item of `f.map(items)` to call, as `f.remote(*item)`; `None` for a call.
    pub map_item: Option<u32>,
    pub serialization: Serialization,
    /// The container image the SDK would start, e.g. `python:3.11`.
    pub image: String,
    /// The decorator's `temp_dir`.
    pub temp_dir: String,
    /// The environment variables the SDK gives the sandbox (`environment_variables=`).
    pub environment: Vec<(String, String)>,
    /// cwsandbox's `working_dir=`: where the container's commands start.
    pub working_dir: Option<String>,
    /// cwsandbox's `resources=`, as the SDK sends them.
    pub resources: Option<Resources>,
    /// When set, the arguments and captured values are the file's own: the file runs
    /// in the sandbox up to this call (`captures` and `args_source` are unused).
    pub file_run: Option<FileRun>,
}

/// The whole file, run in the sandbox with stand-ins for the SDK's module up to one
/// call of one of its sandbox functions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRun {
    /// The file's text.
    pub source: String,
    /// Every sandbox function of the file.
    pub functions: Vec<FileRunFunction>,
    /// Which of `functions` is called.
    pub target: usize,
    /// The first and last line of the call.
    pub call_lines: (u32, u32),
}

/// A sandbox function as the SDK sends it; what it captures is looked up as the
/// file runs, as the SDK's client does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRunFunction {
    pub name: String,
    /// The lines of its first decorator and of its `def`: `co_firstlineno` is one of them.
    pub first_line: u32,
    pub def_line: u32,
    /// As [`Payload::source`].
    pub source: String,
    pub serialization: Serialization,
    pub temp_dir: String,
    pub environment: Vec<(String, String)>,
    /// The file computes its `serialization=`: the stand-in reads it from the
    /// decorator's options (`serialization` is then a placeholder).
    pub serialization_from_options: bool,
}

impl Payload {
    /// A call with no captures and no arguments, in JSON mode, on the default image.
    pub fn new(
        file_name: impl Into<String>,
        function_name: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        Self {
            file_name: file_name.into(),
            function_name: function_name.into(),
            source: source.into(),
            captures: Vec::new(),
            args_source: String::new(),
            map_item: None,
            serialization: Serialization::Json,
            image: DEFAULT_IMAGE.to_owned(),
            temp_dir: DEFAULT_TEMP_DIR.to_owned(),
            environment: Vec::new(),
            working_dir: None,
            resources: None,
            file_run: None,
        }
    }
}
