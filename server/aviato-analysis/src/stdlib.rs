//! What the analysis knows of the standard library: which module members are
//! modules, classes, functions or constants, what calls and methods return, and
//! what each serializer does with each type. The facts come from
//! [`crate::stdlib_table`], measured on the real interpreter and serializers by
//! `tests/oracle/value_table.py`; the kinds rules reason about are mapped here.
//! Anything not listed is unknown, and rules stay silent about it.

use crate::stdlib_table::{MEMBERS, METHODS, MemberKind, RETURNS, TYPES, TypeFacts};
use crate::value::{StdType, ValueKind};

/// The measured facts of a type, by qualified name (`collections.deque`).
pub(crate) fn type_facts(name: &str) -> Option<&'static TypeFacts> {
    TYPES
        .binary_search_by(|facts| facts.name.cmp(name))
        .ok()
        .map(|index| &TYPES[index])
}

/// The kind of a value of a type, by qualified name: the kinds rules know by their
/// own name where one exists, else the type's measured facts.
pub(crate) fn kind_of_type(name: &str) -> ValueKind {
    match name {
        "builtins.int" => ValueKind::Int,
        "builtins.float" => ValueKind::Float,
        "builtins.str" => ValueKind::Str,
        "builtins.bool" => ValueKind::Bool,
        "builtins.NoneType" => ValueKind::None,
        "builtins.list" => ValueKind::List,
        "builtins.dict" => ValueKind::Dict,
        "builtins.tuple" => ValueKind::Tuple,
        "builtins.set" => ValueKind::Set,
        "builtins.frozenset" => ValueKind::FrozenSet,
        "builtins.bytes" => ValueKind::Bytes { utf8: true },
        "builtins.generator" => ValueKind::Generator,
        "collections.deque" => ValueKind::Deque,
        "collections.Counter" | "collections.defaultdict" | "collections.OrderedDict" => {
            ValueKind::DictSubclass {
                class: static_name(name.rsplit('.').next().unwrap_or(name)),
                lambda_factory: false,
            }
        }
        "datetime.datetime"
        | "datetime.date"
        | "datetime.time"
        | "datetime.timedelta"
        | "decimal.Decimal"
        | "pathlib.Path"
        | "pathlib.PosixPath"
        | "pathlib.PurePath"
        | "pathlib.PurePosixPath"
        | "uuid.UUID" => {
            ValueKind::StringLike(static_name(name.rsplit('.').next().unwrap_or(name)))
        }
        "_thread.lock" => ValueKind::Lock("threading.Lock"),
        "_thread.RLock" => ValueKind::Lock("threading.RLock"),
        "socket.socket" => ValueKind::Socket,
        "_io.TextIOWrapper" | "_io.BufferedReader" | "_io.BufferedWriter" | "_io.StringIO"
        | "_io.BytesIO" => ValueKind::File,
        "builtins.type" => ValueKind::Unknown,
        name => type_facts(name).map_or(ValueKind::Unknown, |facts| {
            ValueKind::Stdlib(StdType(facts))
        }),
    }
}

/// What calling a stdlib callable returns, by its qualified name (`re.compile`,
/// `collections.deque`, `datetime.datetime.now`).
pub(crate) fn returns(callable: &str) -> Option<ValueKind> {
    if BINARY_BYTES.contains(&callable) {
        return Some(ValueKind::Bytes { utf8: false });
    }
    let index = RETURNS
        .binary_search_by(|(name, _)| (*name).cmp(callable))
        .ok()?;
    Some(kind_of_type(RETURNS[index].1))
}

/// What `receiver.method(...)` returns, for a receiver of a measured type.
pub(crate) fn method_returns(receiver: &str, method: &str) -> Option<ValueKind> {
    if (receiver, method) == ("_hashlib.HASH", "digest") {
        return Some(ValueKind::Bytes { utf8: false });
    }
    let index = METHODS
        .binary_search_by(|(on, name, _)| (*on, *name).cmp(&(receiver, method)))
        .ok()?;
    Some(kind_of_type(METHODS[index].2))
}

/// Callables whose bytes are random or a digest: almost never valid UTF-8.
const BINARY_BYTES: &[&str] = &[
    "hashlib.pbkdf2_hmac",
    "hashlib.scrypt",
    "os.urandom",
    "random.randbytes",
    "secrets.token_bytes",
];

/// Whether `receiver.method` is a method of a measured type.
pub(crate) fn has_method(receiver: &str, method: &str) -> bool {
    METHODS
        .binary_search_by(|(on, name, _)| (*on, *name).cmp(&(receiver, method)))
        .is_ok()
}

/// What `module.member` is, from the measured table.
fn measured_member(module: &str, member: &str) -> Option<Member> {
    let index = MEMBERS
        .binary_search_by(|(on, name, _)| (*on, *name).cmp(&(module, member)))
        .ok()?;
    Some(match MEMBERS[index].2 {
        MemberKind::Module => Member::Module,
        MemberKind::Class => Member::Class,
        MemberKind::Function => Member::Function,
        MemberKind::Value(type_name) => Member::Value(kind_of_type(type_name)),
    })
}

pub(crate) enum Member {
    Module,
    Class,
    Function,
    Value(ValueKind),
}

/// What `module.member` is: the measured table, then hand-written cases for modules
/// it does not cover.
pub(crate) fn member(module: &str, member: &str) -> Option<Member> {
    if let Some(measured) = measured_member(module, member) {
        return Some(measured);
    }
    let kind = match (module, member) {
        ("os", "path")
        | ("xml", "etree")
        | ("concurrent", "futures")
        | ("urllib", "request" | "parse") => Member::Module,
        (
            "collections",
            "Counter" | "defaultdict" | "OrderedDict" | "deque" | "ChainMap" | "UserDict",
        )
        | ("datetime", "datetime" | "date" | "time" | "timedelta" | "timezone")
        | ("decimal", "Decimal")
        | ("fractions", "Fraction")
        | ("pathlib", "Path" | "PurePath" | "PosixPath" | "PurePosixPath" | "WindowsPath")
        | ("enum", "Enum" | "IntEnum" | "StrEnum" | "Flag" | "IntFlag")
        | ("typing", "NamedTuple" | "TypedDict" | "Any" | "Protocol" | "Generic")
        | ("uuid", "UUID")
        | ("io", "StringIO" | "BytesIO")
        | ("functools", "partial")
        | (
            "itertools",
            "count" | "chain" | "cycle" | "product" | "permutations" | "combinations",
        )
        | ("threading", "Thread" | "Event" | "Condition" | "Semaphore" | "BoundedSemaphore")
        | ("socket", "socket")
        | ("argparse", "ArgumentParser")
        | ("random", "Random")
        | ("json", "JSONEncoder" | "JSONDecoder")
        | ("dataclasses", "Field")
        | ("abc", "ABC")
        | ("asyncio", "Lock" | "Event" | "Queue" | "Semaphore") => Member::Class,
        ("threading" | "multiprocessing", "Lock" | "RLock") => Member::Function,
        ("math", "pi" | "e" | "tau") => Member::Value(ValueKind::Float),
        ("math", "inf" | "nan") => Member::Value(ValueKind::NonFiniteFloat),
        (
            "string",
            "ascii_letters" | "ascii_lowercase" | "ascii_uppercase" | "digits" | "punctuation",
        ) => Member::Value(ValueKind::Str),
        ("sys", "maxsize") => Member::Value(ValueKind::Int),
        ("sys", "platform" | "version") => Member::Value(ValueKind::Str),
        ("typing", _) => return None,
        (
            "math" | "statistics" | "json" | "time" | "random" | "re" | "operator" | "shutil"
            | "subprocess" | "glob" | "hashlib" | "base64" | "copy" | "textwrap" | "heapq"
            | "bisect" | "csv" | "pickle" | "itertools" | "functools" | "dataclasses" | "os"
            | "os.path" | "collections" | "threading" | "inspect" | "zlib" | "gzip" | "struct"
            | "urllib.parse" | "uuid",
            _,
        ) if is_function_name(member) => Member::Function,
        _ => return None,
    };
    Some(kind)
}

/// Lower-case names are functions in the modules listed above (classes and constants
/// are matched before).
fn is_function_name(member: &str) -> bool {
    member.starts_with(|c: char| c.is_ascii_lowercase()) && !member.starts_with('_')
}

/// The kind of what a stdlib function returns, where it matters to a rule.
pub(crate) fn function_result(function: &str) -> ValueKind {
    match function {
        "threading.Lock" | "threading.RLock" | "multiprocessing.Lock" => {
            ValueKind::Lock(if function.ends_with("RLock") {
                "threading.RLock"
            } else {
                "threading.Lock"
            })
        }
        "socket.create_connection" | "socket.socketpair" => ValueKind::Socket,
        "uuid.uuid4" | "uuid.uuid1" => ValueKind::StringLike("UUID"),
        "collections.namedtuple" | "typing.NamedTuple" => ValueKind::Class {
            name: "namedtuple".into(),
            in_script: true,
        },
        "json.dumps" | "os.getcwd" | "os.path.join" | "os.path.basename" | "os.path.dirname" => {
            ValueKind::Str
        }
        "time.time" | "time.monotonic" | "time.perf_counter" | "math.sqrt" => ValueKind::Float,
        "io.open" => ValueKind::File,
        _ => returns(function).unwrap_or(ValueKind::Unknown),
    }
}

/// The kind of an instance of a stdlib or builtin class, by the class's short name.
pub(crate) fn instance_kind(class: &str) -> ValueKind {
    match class {
        "int" => ValueKind::Int,
        "float" => ValueKind::Float,
        "str" => ValueKind::Str,
        "bool" => ValueKind::Bool,
        "list" => ValueKind::List,
        "dict" => ValueKind::Dict,
        "Counter" | "defaultdict" | "OrderedDict" => ValueKind::DictSubclass {
            class: static_name(class),
            lambda_factory: false,
        },
        "tuple" => ValueKind::Tuple,
        "set" => ValueKind::Set,
        "frozenset" => ValueKind::FrozenSet,
        "deque" => ValueKind::Deque,
        "datetime" | "date" | "time" | "timedelta" => ValueKind::StringLike(static_name(class)),
        "Decimal" | "Path" | "PurePath" | "PosixPath" | "PurePosixPath" | "UUID" => {
            ValueKind::StringLike(static_name(class))
        }
        "Lock" | "RLock" | "Semaphore" | "BoundedSemaphore" | "Condition" | "Event" => {
            ValueKind::Lock(static_name(class))
        }
        "socket" => ValueKind::Socket,
        "StringIO" | "BytesIO" => ValueKind::File,
        _ => ValueKind::Unknown,
    }
}

/// What `Class.method()` returns for stdlib classes' alternate constructors.
pub(crate) fn class_method_result(class: &str, method: &str) -> Option<ValueKind> {
    let short = class.rsplit('.').next().unwrap_or(class);
    match (short, method) {
        (
            "datetime",
            "now" | "utcnow" | "today" | "fromisoformat" | "fromtimestamp" | "strptime",
        )
        | ("date", "today" | "fromisoformat")
        | ("Path", "cwd" | "home") => Some(ValueKind::StringLike(static_name(short))),
        ("Decimal", "from_float") => Some(ValueKind::StringLike("Decimal")),
        _ => None,
    }
}

fn static_name(class: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "datetime",
        "date",
        "time",
        "timedelta",
        "Decimal",
        "Counter",
        "defaultdict",
        "OrderedDict",
        "Path",
        "PurePath",
        "PosixPath",
        "PurePosixPath",
        "UUID",
        "Lock",
        "RLock",
        "Semaphore",
        "BoundedSemaphore",
        "Condition",
        "Event",
    ];
    NAMES
        .iter()
        .find(|name| **name == class)
        .copied()
        .unwrap_or("object")
}

/// Top-level stdlib modules (`sys.stdlib_module_names` of Python 3.11, public ones).
const MODULES: &[&str] = &[
    "abc",
    "aifc",
    "antigravity",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "idlelib",
    "imaplib",
    "imghdr",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "lib2to3",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "mailcap",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msilib",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nis",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "ossaudiodev",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "spwd",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "textwrap",
    "this",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uu",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xdrlib",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

/// Whether `name` is a top-level stdlib module.
pub(crate) fn is_module(name: &str) -> bool {
    MODULES.binary_search(&name).is_ok()
}
