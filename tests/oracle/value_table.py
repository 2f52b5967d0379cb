#!/usr/bin/env python3
"""Generate server/aviato-analysis/src/stdlib_table.rs: what each serializer does with each
standard-library value type, measured by pushing real values through the real
serializers.

    python3 tests/oracle/value_table.py            # regenerate the Rust file
    python3 tests/oracle/value_table.py --check    # exit 1 with a diff when it is stale
    python3 tests/oracle/value_table.py -v --raw /tmp/raw.json   # timings, every measurement

Nothing in the table is typed by hand: the script holds curated *Python expressions*
(sample values, constructor arguments, function calls, method calls) and measures what
they produce.

* ``pydantic`` (aviato JSON mode): ``TypeAdapter(dict[str, Any]).dump_json({"v": v})``
  with pydantic==2.12.5, then ``json.loads`` as the sandbox does.
* ``pickle`` (aviato PICKLE mode): ``pickle.dumps({"v": v})`` in the measuring process,
  whose ``__main__`` is this script (so functions and classes of the "script" are
  pickled by reference to ``__main__``), then ``pickle.loads`` in a fresh interpreter
  (``python -I -S -c ...``, another ``__main__``, no site-packages) that can import the
  standard library and the helper module below, as a sandbox could.
* ``strict_json`` (cwsandbox): the SDK's recursive non-str-key check (copied from
  ``cwsandbox==1.22.0`` ``_validate_json_string_keys``), then stdlib ``json.dumps``
  (NaN allowed), then ``json.loads``.

A value "arrives as the same type" when the type of what was loaded equals the type
sent and, for dicts, the set of key types is the same; otherwise it "becomes" the
loaded type (named as ``type(x).__name__``). Any exception while serializing, and a
measuring child that dies (an infinite iterator that pydantic consumes until memory
runs out), count as refused. Every value is measured in its own forked child with a
memory limit and an alarm, so side effects and hangs stay there.

Pseudo-entries: a bracket after a type name marks a sample whose fate depends on more
than its type: ``builtins.float[nan]``, ``builtins.dict[int-keys]``,
``builtins.function[script]`` (defined in the user's script, i.e. ``__main__``),
``enum.Enum[importable]`` (a member of an Enum subclass defined in a module the sandbox
can import, as for stdlib enums) and so on. A constant whose own fates differ from its
type's entry gets ``type[module.member]``.

The output is laid out exactly as rustfmt lays it out (checked against rustfmt when it
is on PATH), so `cargo fmt` and `--check` agree. The tables are sorted as Rust compares
strings, for binary search.

Environment: ORACLE_VENV (default /tmp/oracle-venv; created with pydantic==2.12.5 if
missing). The measurement runs under that venv's python (3.11), with -I -S: the snapshot
of module members sees no .pth file of the venv, and pydantic is then imported from the
venv's site-packages.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "server" / "aviato-analysis" / "src" / "stdlib_table.rs"
OUTPUT_REL = "server/aviato-analysis/src/stdlib_table.rs"
PYDANTIC_VERSION = "2.12.5"
PYDANTIC = f"pydantic=={PYDANTIC_VERSION}"

# ----------------------------------------------------------------------------- curated input
# Modules whose public members are listed in MEMBERS (imported in this order, before
# pydantic, so that submodule attributes are those a plain script sees).
MODULES = [
    "builtins", "math", "statistics", "json", "re", "os", "os.path", "sys", "time",
    "datetime", "random", "collections", "itertools", "functools", "operator", "pathlib",
    "decimal", "fractions", "uuid", "hashlib", "base64", "string", "textwrap", "heapq",
    "bisect", "csv", "copy", "enum", "dataclasses", "typing", "types", "argparse",
    "logging", "threading", "multiprocessing", "queue", "socket", "io", "shutil",
    "subprocess", "glob", "tempfile", "zlib", "gzip", "struct", "array", "ipaddress",
    "urllib", "urllib.parse", "secrets", "contextlib", "abc", "asyncio", "inspect",
    "pprint", "traceback", "warnings", "zoneinfo", "platform", "getpass", "shlex",
    "fnmatch", "calendar", "difflib", "unicodedata", "pickle", "copyreg", "weakref",
    "sqlite3", "signal", "errno", "codecs", "locale", "html", "xml", "xml.etree",
    "xml.etree.ElementTree", "concurrent", "concurrent.futures", "dis", "ast", "tokenize",
    "timeit", "cProfile", "pstats", "numbers", "cmath", "graphlib",
]
# Imported for samples only.
EXTRA_IMPORTS = ["mmap", "http", "email.message", "ssl"]

# Definitions of "the user's script": executed into this script's __main__ namespace,
# so that pickle refers to them as __main__.<name>, exactly as for a user's script.
SCRIPT_PRELUDE = '''
import collections, contextlib, dataclasses, enum, functools, typing

def script_function(x=1):
    return x

script_lambda = lambda x=1: x

def script_generator_function():
    yield 1

async def script_async_generator():
    yield 1

def script_make_closure():
    def inner():
        return 1
    return inner

@functools.lru_cache(maxsize=None)
def script_cached(x=1):
    return x

@contextlib.contextmanager
def script_context():
    yield 1

class ScriptClass:
    def __init__(self):
        self.x = 1
    def method(self):
        return 1

script_object = ScriptClass()

class ScriptError(Exception):
    pass

class ScriptEnum(enum.Enum):
    A = 1

class ScriptIntEnum(enum.IntEnum):
    A = 1

class ScriptStrEnum(enum.StrEnum):
    A = "a"

class ScriptFlag(enum.Flag):
    A = 1

class ScriptIntFlag(enum.IntFlag):
    A = 1

@dataclasses.dataclass
class ScriptDataclass:
    x: int = 1

ScriptPoint = collections.namedtuple("ScriptPoint", "x y")

class ScriptTypedPoint(typing.NamedTuple):
    x: int
    y: int
'''

# The same kinds of definitions in a module that both sides can import (as a stdlib
# class can be imported in the sandbox).
HELPER_MODULE_NAME = "oracle_helpers"
HELPER_MODULE = '''
import collections, dataclasses, enum, typing

def helper_function(x=1):
    return x

class HelperClass:
    def __init__(self):
        self.x = 1

class HelperEnum(enum.Enum):
    A = 1

class HelperIntEnum(enum.IntEnum):
    A = 1

class HelperStrEnum(enum.StrEnum):
    A = "a"

class HelperFlag(enum.Flag):
    A = 1

class HelperIntFlag(enum.IntFlag):
    A = 1

@dataclasses.dataclass
class HelperDataclass:
    x: int = 1

HelperPoint = collections.namedtuple("HelperPoint", "x y")

class HelperTypedPoint(typing.NamedTuple):
    x: int
    y: int
'''

# Sample values: (expression, name). name None: the qualified name of the value's type;
# "[x]": that name plus the pseudo suffix; anything else: the full entry name. Container
# samples hold ints and str keys, so that the fate is the container's own.
SAMPLES: list[tuple[str, str | None]] = [
    # builtins: scalars
    ("1", None),
    ("1.5", None),
    ("float('nan')", "[nan]"),
    ("float('inf')", "[inf]"),
    ("1+2j", None),
    ("'text'", None),
    ("b'text'", None),
    ("b'\\xff\\xfe'", "[non-utf8]"),
    ("bytearray(b'text')", None),
    ("True", None),
    ("None", None),
    ("...", None),
    ("NotImplemented", None),
    ("object()", None),
    # builtins: containers
    ("[1, 2]", None),
    ("(1, 2)", None),
    ("{1, 2}", None),
    ("frozenset({1, 2})", None),
    ("{'a': 1}", None),
    ("{1: 'a'}", "[int-keys]"),
    ("{1.5: 'a'}", "[float-keys]"),
    ("{True: 'a'}", "[bool-keys]"),
    ("{None: 'a'}", "[NoneType-keys]"),
    ("{(1, 2): 'a'}", "[tuple-keys]"),
    # builtins: iterables and views
    ("range(3)", None),
    ("{'a': 1}.keys()", None),
    ("{'a': 1}.values()", None),
    ("{'a': 1}.items()", None),
    ("map(str, [1, 2])", None),
    ("zip([1], [2])", None),
    ("filter(None, [1, 0])", None),
    ("reversed((1, 2))", None),
    ("reversed([1, 2])", None),
    ("enumerate([1, 2])", None),
    ("(i for i in range(3))", None),
    ("iter([1, 2])", None),
    ("iter((1, 2))", None),
    ("iter('ab')", None),
    ("iter({'a': 1})", None),
    ("iter({1, 2})", None),
    ("iter(range(3))", None),
    ("memoryview(b'ab')", None),
    ("slice(1, 2)", None),
    # builtins: callables, classes, code
    ("len", None),
    ("'abc'.lower", "[bound]"),
    ("str.lower", None),
    ("json.dumps", None),
    ("script_function", "[script]"),
    ("script_lambda", "[lambda]"),
    ("script_make_closure()", "[nested]"),
    ("json.JSONEncoder().encode", None),
    ("script_object.method", "[script]"),
    ("property(lambda self: 1)", None),
    ("staticmethod(len)", None),
    ("classmethod(len)", None),
    ("int", None),
    ("ScriptClass", "[script]"),
    ("ScriptPoint", "[script-namedtuple]"),
    ("oracle_helpers.HelperClass", "[importable]"),
    ("numbers.Number", None),
    ("http.HTTPStatus", None),
    ("json", None),
    ("script_function.__code__", None),
    ("sys._getframe()", None),
    ("list[int]", None),
    ("int | None", None),
    ("typing.List[int]", None),
    ("typing.Optional[int]", None),
    ("typing.Any", None),
    ("asyncio.sleep(0)", None),
    ("script_generator_function()", "[script]"),
    ("script_async_generator()", None),
    ("ValueError('bad')", None),
    ("KeyError('k')", None),
    ("Exception('x')", None),
    ("OSError(2, 'missing')", None),
    ("ScriptError('x')", "builtins.Exception[script]"),
    # collections
    ("collections.deque([1, 2])", None),
    ("collections.Counter('abca')", None),
    ("collections.defaultdict(list, {'a': [1]})", None),
    ("collections.defaultdict(lambda: 0, {'a': 1})", "[lambda-factory]"),
    ("collections.OrderedDict(a=1)", None),
    ("collections.ChainMap({'a': 1})", None),
    ("collections.UserDict({'a': 1})", None),
    ("collections.UserList([1])", None),
    ("collections.UserString('a')", None),
    ("ScriptPoint(1, 2)", "collections.namedtuple[script]"),
    ("oracle_helpers.HelperPoint(1, 2)", "collections.namedtuple[importable]"),
    ("ScriptTypedPoint(1, 2)", "typing.NamedTuple[script]"),
    ("oracle_helpers.HelperTypedPoint(1, 2)", "typing.NamedTuple[importable]"),
    ("urllib.parse.urlparse('http://host/path')", None),
    # datetime and numbers
    ("datetime.date(2024, 1, 2)", None),
    ("datetime.datetime(2024, 1, 2, 3, 4, 5)", None),
    ("datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc)", "[aware]"),
    ("datetime.time(1, 2)", None),
    ("datetime.timedelta(days=1)", None),
    ("datetime.timezone.utc", None),
    ("datetime.timezone(datetime.timedelta(hours=2))", "[offset]"),
    ("zoneinfo.ZoneInfo('UTC')", None),
    ("decimal.Decimal('1.5')", None),
    ("decimal.Decimal('NaN')", "[nan]"),
    ("decimal.Context()", None),
    ("fractions.Fraction(1, 3)", None),
    ("statistics.NormalDist(0, 1)", None),
    ("time.localtime(0)", None),
    # paths, ids, addresses
    ("pathlib.Path('data.txt')", None),
    ("pathlib.PurePosixPath('a/b.txt')", None),
    ("pathlib.PurePath('a/b.txt')", "[PurePath]"),
    ("pathlib.PureWindowsPath('a/b.txt')", None),
    ("uuid.UUID('12345678123456781234567812345678')", None),
    ("ipaddress.IPv4Address('10.0.0.1')", None),
    ("ipaddress.IPv4Network('10.0.0.0/8')", None),
    ("ipaddress.IPv4Interface('10.0.0.1/8')", None),
    ("ipaddress.IPv6Address('::1')", None),
    ("ipaddress.IPv6Network('::/64')", None),
    # enums
    ("http.HTTPStatus.OK", None),
    ("http.HTTPMethod.GET", None),
    ("re.IGNORECASE", None),
    ("signal.SIGINT", None),
    ("socket.AF_INET", None),
    ("uuid.SafeUUID.safe", None),
    ("ssl.VerifyFlags.VERIFY_DEFAULT", None),
    ("enum.auto()", None),
    ("ScriptEnum.A", "enum.Enum[script]"),
    ("ScriptIntEnum.A", "enum.IntEnum[script]"),
    ("ScriptStrEnum.A", "enum.StrEnum[script]"),
    ("ScriptFlag.A", "enum.Flag[script]"),
    ("ScriptIntFlag.A", "enum.IntFlag[script]"),
    ("oracle_helpers.HelperEnum.A", "enum.Enum[importable]"),
    ("oracle_helpers.HelperIntEnum.A", "enum.IntEnum[importable]"),
    ("oracle_helpers.HelperStrEnum.A", "enum.StrEnum[importable]"),
    ("oracle_helpers.HelperFlag.A", "enum.Flag[importable]"),
    ("oracle_helpers.HelperIntFlag.A", "enum.IntFlag[importable]"),
    # user-defined classes
    ("ScriptDataclass()", "dataclasses.dataclass[script]"),
    ("oracle_helpers.HelperDataclass()", "dataclasses.dataclass[importable]"),
    ("script_object", "builtins.object[script]"),
    ("oracle_helpers.HelperClass()", "builtins.object[importable]"),
    ("oracle_helpers.helper_function", "builtins.function[importable]"),
    # namespaces, operator, functools
    ("argparse.Namespace(a=1)", None),
    ("argparse.ArgumentParser()", None),
    ("types.SimpleNamespace(a=1)", None),
    ("types.MappingProxyType({'a': 1})", None),
    ("operator.itemgetter(0)", None),
    ("operator.attrgetter('real')", None),
    ("operator.methodcaller('lower')", None),
    ("functools.partial(max, 1)", None),
    ("functools.partial(script_function, 1)", "[script-function]"),
    ("functools.partial(script_lambda, 1)", "[lambda]"),
    ("fnmatch._compile_pattern", None),
    ("script_cached", "[script]"),
    ("functools.cmp_to_key(lambda a, b: 0)", None),
    # regular expressions
    ("re.compile('a+')", None),
    ("re.match('a', 'abc')", None),
    ("re.finditer('a', 'aa')", None),
    # threads, processes, sync
    ("threading.Lock()", None),
    ("threading.RLock()", None),
    ("threading.Event()", None),
    ("threading.Semaphore()", None),
    ("threading.BoundedSemaphore()", None),
    ("threading.Condition()", None),
    ("threading.Thread()", None),
    ("threading.local()", None),
    ("threading.current_thread()", None),
    ("queue.Queue()", None),
    ("queue.SimpleQueue()", None),
    ("concurrent.futures.ThreadPoolExecutor(1)", None),
    ("concurrent.futures.Future()", None),
    ("multiprocessing.Process()", None),
    ("multiprocessing.Lock()", None),
    ("multiprocessing.Queue()", None),
    ("asyncio.new_event_loop()", None),
    ("asyncio.Queue()", None),
    ("asyncio.Lock()", None),
    # logging, io, files
    ("logging.getLogger('app')", None),
    ("logging.getLogger()", None),
    ("logging.StreamHandler()", None),
    ("logging.Formatter()", None),
    ("logging.LoggerAdapter(logging.getLogger('app'), {})", None),
    ("socket.socket()", None),
    ("io.StringIO('a\\nb\\n')", None),
    ("io.BytesIO(b'ab')", None),
    ("open('data.txt')", None),
    ("open('data.txt', 'rb')", None),
    ("open('out.bin', 'wb')", None),
    ("open('data.txt', 'rb', buffering=0)", None),
    ("tempfile.NamedTemporaryFile()", None),
    ("tempfile.TemporaryDirectory()", None),
    ("tempfile.SpooledTemporaryFile()", None),
    ("gzip.GzipFile(fileobj=io.BytesIO(), mode='wb')", None),
    ("zlib.compressobj()", None),
    ("mmap.mmap(-1, 16)", None),
    ("sqlite3.connect(':memory:')", None),
    ("sqlite3.connect(':memory:').execute('select 1')", None),
    ("csv.reader(io.StringIO('a,b'))", None),
    ("csv.writer(io.StringIO())", None),
    ("csv.DictReader(io.StringIO('a\\n1'))", None),
    ("csv.DictWriter(io.StringIO(), ['a'])", None),
    ("os.environ", None),
    ("os.stat('data.txt')", None),
    ("os.scandir('.')", None),
    ("next(os.scandir('.'))", None),
    ("subprocess.CompletedProcess(['true'], 0)", None),
    # itertools
    ("itertools.count()", None),
    ("itertools.chain([1], [2])", None),
    ("itertools.cycle([1])", None),
    ("itertools.repeat(1)", None),
    ("itertools.product([1], [2])", None),
    ("itertools.islice([1, 2, 3], 2)", None),
    ("itertools.accumulate([1, 2])", None),
    ("itertools.combinations([1, 2], 2)", None),
    ("itertools.permutations([1, 2])", None),
    ("itertools.groupby([1, 1, 2])", None),
    ("itertools.zip_longest([1], [2])", None),
    ("itertools.starmap(pow, [(2, 3)])", None),
    ("itertools.tee([1])[0]", None),
    ("itertools.pairwise([1, 2])", None),
    # misc stdlib objects
    ("json.JSONEncoder()", None),
    ("json.JSONDecoder()", None),
    ("hashlib.sha256(b'')", None),
    ("hashlib.blake2b()", None),
    ("random.Random(0)", None),
    ("random.SystemRandom()", None),
    ("struct.Struct('<i')", None),
    ("array.array('i', [1, 2])", None),
    ("string.Template('$x')", None),
    ("string.Formatter()", None),
    ("contextlib.suppress(ValueError)", None),
    ("contextlib.nullcontext()", None),
    ("contextlib.ExitStack()", None),
    ("contextlib.closing(io.StringIO())", None),
    ("contextlib.redirect_stdout(io.StringIO())", None),
    ("script_context()", None),
    ("dataclasses.field()", None),
    ("typing.AnyStr", None),
    ("(ScriptT := typing.TypeVar('ScriptT'))", "[script]"),
    ("email.message.Message()", None),
    ("email.message.EmailMessage()", None),
    ("weakref.ref(ScriptClass)", None),
    ("weakref.proxy(logging.getLogger('app'))", None),
    ("weakref.WeakValueDictionary()", None),
    ("weakref.WeakKeyDictionary()", None),
    ("weakref.WeakSet()", None),
    ("xml.etree.ElementTree.Element('a')", None),
    ("ast.parse('x = 1')", None),
    ("inspect.signature(script_function)", None),
    ("cProfile.Profile()", None),
    ("timeit.Timer()", None),
    ("graphlib.TopologicalSorter()", None),
    ("textwrap.TextWrapper()", None),
    ("pprint.PrettyPrinter()", None),
    ("difflib.SequenceMatcher(None, 'abc', 'abd')", None),
    ("calendar.Calendar()", None),
    ("codecs.lookup('utf-8')", None),
    ("shlex.shlex('a b')", None),
    ("pickle.PickleBuffer(b'a')", None),
    ("traceback.StackSummary()", None),
    ("warnings.catch_warnings()", None),
    ("dis.Bytecode(script_function)", None),
]

# Constructor arguments for classes that need some (keyed by "module.member" or by the
# class's qualified name). Classes not listed are tried with (), then, for exceptions,
# with ('x',); enums with their first member's value; namedtuples and struct sequences
# with Nones/zeros. A class none of these can build gets no RETURNS entry. None: do not
# call it; "=expr": a whole expression instead of arguments.
CTOR_ARGS: dict[str, str] = {
    "builtins.range": "(3)",
    "builtins.enumerate": "([1, 2])",
    "builtins.map": "(str, [1])",
    "builtins.filter": "(None, [1])",
    "builtins.reversed": "((1, 2))",
    "builtins.slice": "(1)",
    "builtins.memoryview": "(b'a')",
    "builtins.staticmethod": "(len)",
    "builtins.classmethod": "(len)",
    "builtins.type": "(1)",
    "builtins.BaseExceptionGroup": "('m', [ValueError()])",
    "builtins.ExceptionGroup": "('m', [ValueError()])",
    "builtins.UnicodeDecodeError": "('utf-8', b'', 0, 1, 'x')",
    "builtins.UnicodeEncodeError": "('utf-8', '', 0, 1, 'x')",
    "builtins.UnicodeTranslateError": "('', 0, 1, 'x')",
    "builtins.super": None,
    "collections.deque": "([1, 2])",
    "collections.Counter": "('abca')",
    "collections.OrderedDict": "(a=1)",
    "collections.defaultdict": "(list)",
    "collections.ChainMap": "({'a': 1})",
    "collections.UserDict": "({'a': 1})",
    "collections.UserList": "([1])",
    "collections.UserString": "('a')",
    "datetime.date": "(2024, 1, 2)",
    "datetime.datetime": "(2024, 1, 2, 3, 4, 5)",
    "datetime.time": "(1, 2)",
    "datetime.timedelta": "(days=1)",
    "datetime.timezone": "(datetime.timedelta(hours=2))",
    "decimal.Decimal": "('1.5')",
    "fractions.Fraction": "(1, 3)",
    "pathlib.Path": "('data.txt')",
    "pathlib.PosixPath": "('data.txt')",
    "pathlib.PurePath": "('a/b.txt')",
    "pathlib.PurePosixPath": "('a/b.txt')",
    "pathlib.PureWindowsPath": "('a/b.txt')",
    "uuid.UUID": "('12345678123456781234567812345678')",
    "ipaddress.IPv4Address": "('10.0.0.1')",
    "ipaddress.IPv4Network": "('10.0.0.0/8')",
    "ipaddress.IPv4Interface": "('10.0.0.1/8')",
    "ipaddress.IPv6Address": "('::1')",
    "ipaddress.IPv6Network": "('::/64')",
    "ipaddress.IPv6Interface": "('::1/128')",
    "argparse.Namespace": "(a=1)",
    "types.MappingProxyType": "({'a': 1})",
    "types.SimpleNamespace": "(a=1)",
    "types.ModuleType": "('m')",
    "types.GenericAlias": "(list, int)",
    "types.MethodType": "(script_function, 1)",
    "operator.itemgetter": "(0)",
    "operator.attrgetter": "('real')",
    "operator.methodcaller": "('lower')",
    "functools.partial": "(max, 1)",
    "functools.partialmethod": "(max, 1)",
    "functools.cached_property": "(len)",
    "functools.singledispatchmethod": "(len)",
    "itertools.chain": "([1], [2])",
    "itertools.cycle": "([1])",
    "itertools.repeat": "(1)",
    "itertools.product": "([1], [2])",
    "itertools.islice": "([1, 2, 3], 2)",
    "itertools.accumulate": "([1, 2])",
    "itertools.combinations": "([1, 2], 2)",
    "itertools.combinations_with_replacement": "([1, 2], 2)",
    "itertools.compress": "([1], [1])",
    "itertools.dropwhile": "(bool, [1])",
    "itertools.filterfalse": "(None, [0])",
    "itertools.groupby": "([1, 1, 2])",
    "itertools.pairwise": "([1, 2])",
    "itertools.permutations": "([1, 2])",
    "itertools.starmap": "(pow, [(2, 3)])",
    "itertools.takewhile": "(bool, [1])",
    "itertools.zip_longest": "([1], [2])",
    "threading.Barrier": "(1)",
    "threading.Timer": "(1, print)",
    "logging.Logger": "('app')",
    "logging.RootLogger": "(10)",
    "logging.FileHandler": "('log.txt')",
    "logging.LogRecord": "('n', 10, 'p', 1, 'm', None, None)",
    "logging.LoggerAdapter": "(logging.getLogger('app'), {})",
    "logging.PlaceHolder": "(logging.getLogger('app'))",
    "logging.Manager": "(logging.root)",
    "logging.PercentStyle": "('%(message)s')",
    "logging.StrFormatStyle": "('{message}')",
    "logging.StringTemplateStyle": "('${message}')",
    "io.StringIO": "('a\\nb\\n')",
    "io.BytesIO": "(b'ab')",
    "io.FileIO": "('data.txt')",
    "io.TextIOWrapper": "(io.BytesIO(b'a'))",
    "io.BufferedReader": "(io.BytesIO(b'a'))",
    "io.BufferedWriter": "(io.BytesIO())",
    "io.BufferedRandom": "(io.BytesIO())",
    "io.BufferedRWPair": "(io.BytesIO(), io.BytesIO())",
    "io.IncrementalNewlineDecoder": "(None, True)",
    "array.array": "('i', [1, 2])",
    "struct.Struct": "('<i')",
    "string.Template": "('$x')",
    "contextlib.suppress": "(ValueError)",
    "contextlib.closing": "(io.StringIO())",
    "contextlib.redirect_stdout": "(io.StringIO())",
    "contextlib.redirect_stderr": "(io.StringIO())",
    "contextlib.chdir": "('.')",
    "contextlib.aclosing": "(None)",
    "dataclasses.InitVar": "(int)",
    "enum.member": "(1)",
    "enum.nonmember": "(1)",
    "abc.abstractclassmethod": "(json.dumps)",
    "abc.abstractstaticmethod": "(json.dumps)",
    "argparse.Action": "(['--x'], 'x')",
    "argparse.BooleanOptionalAction": "(['--x'], 'x')",
    "argparse.ArgumentError": "(None, 'm')",
    "argparse.HelpFormatter": "('prog')",
    "argparse.RawDescriptionHelpFormatter": "('prog')",
    "argparse.RawTextHelpFormatter": "('prog')",
    "argparse.ArgumentDefaultsHelpFormatter": "('prog')",
    "argparse.MetavarTypeHelpFormatter": "('prog')",
    "asyncio.IncompleteReadError": "(b'', 1)",
    "asyncio.LimitOverrunError": "('m', 1)",
    "platform.uname_result": "('a', 'b', 'c', 'd', 'e')",
    "calendar.different_locale": "('C')",
    "socket.SocketIO": "(socket.socket(), 'r')",
    # These pickle by name: bound to a name of the script, as a script would do.
    "typing.TypeVar": "=(T := typing.TypeVar('T'))",
    "typing.ParamSpec": "=(P := typing.ParamSpec('P'))",
    "typing.TypeVarTuple": "=(Ts := typing.TypeVarTuple('Ts'))",
    "typing.NewType": "=(UserId := typing.NewType('UserId', int))",
    "typing.ForwardRef": "('x')",
    "typing.Text": "('a')",
    "zoneinfo.ZoneInfo": "('UTC')",
    "statistics.NormalDist": "(0, 1)",
    "sqlite3.Connection": "(':memory:')",
    "sqlite3.Cursor": "(sqlite3.connect(':memory:'))",
    "weakref.ref": "(ScriptClass)",
    "weakref.ReferenceType": "(ScriptClass)",
    "weakref.KeyedRef": "(ScriptClass, None, 1)",
    "weakref.WeakMethod": "(script_object.method)",
    "weakref.finalize": "(ScriptClass, print)",
    "json.JSONDecodeError": "('m', 'd', 0)",
    "csv.DictReader": "(io.StringIO('a\\n1'))",
    "csv.DictWriter": "(io.StringIO(), ['a'])",
    "inspect.Parameter": "('x', inspect.Parameter.POSITIONAL_ONLY)",
    "traceback.TracebackException": "(ValueError, ValueError('x'), None)",
    "traceback.FrameSummary": "('f.py', 1, 'f')",
    "warnings.WarningMessage": "('m', UserWarning, 'f.py', 1)",
    "xml.etree.ElementTree.Element": "('a')",
    "xml.etree.ElementTree.QName": "('a')",
    "xml.etree.ElementTree.C14NWriterTarget": "(print)",
    "dis.Bytecode": "(script_function)",
    "tokenize.TokenInfo": "(1, 'a', (1, 0), (1, 1), 'a')",
    "subprocess.CompletedProcess": "(['true'], 0)",
    "subprocess.CalledProcessError": "(1, 'cmd')",
    "subprocess.TimeoutExpired": "('cmd', 1)",
    "subprocess.Popen": None,
    "gzip.GzipFile": "(fileobj=io.BytesIO(), mode='wb')",
    "pickle.Pickler": "(io.BytesIO())",
    "pickle.Unpickler": "(io.BytesIO())",
    "pickle.PickleBuffer": "(b'a')",
    "codecs.StreamReader": "(io.BytesIO())",
    "codecs.StreamWriter": "(io.BytesIO())",
    "codecs.StreamReaderWriter": "(io.BytesIO(), codecs.StreamReader, codecs.StreamWriter)",
    "codecs.CodecInfo": "(None, None)",
    "difflib.SequenceMatcher": "(None, 'abc', 'abd')",
    "shlex.shlex": "('a b')",
    "graphlib.TopologicalSorter": "({'a': ['b']})",
    "calendar.IllegalMonthError": "(13)",
    "calendar.IllegalWeekdayError": "(8)",
    "concurrent.futures.ThreadPoolExecutor": "(1)",
    "concurrent.futures.ProcessPoolExecutor": "(1)",
    "asyncio.Timeout": "(None)",
    "asyncio.Runner": "()",
    "timeit.Timer": "('1')",
    "socket.socket": "()",
    "email.message.Message": "()",
    "os.DirEntry": None,
    "multiprocessing.Process": "()",
}

# Calls whose result type RETURNS records: (qualified callable, argument list).
CALLS: list[tuple[str, str]] = [
    # builtins
    ("builtins.sorted", "([2, 1])"), ("builtins.len", "([1])"), ("builtins.abs", "(-1)"),
    ("builtins.sum", "([1, 2])"), ("builtins.min", "([1, 2])"), ("builtins.max", "([1, 2])"),
    ("builtins.round", "(2.5)"), ("builtins.divmod", "(7, 2)"), ("builtins.pow", "(2, 3)"),
    ("builtins.hash", "('a')"), ("builtins.id", "(1)"), ("builtins.repr", "(1)"),
    ("builtins.ascii", "('a')"), ("builtins.format", "(1, 'd')"), ("builtins.chr", "(97)"),
    ("builtins.ord", "('a')"), ("builtins.bin", "(2)"), ("builtins.hex", "(2)"),
    ("builtins.oct", "(2)"), ("builtins.isinstance", "(1, int)"),
    ("builtins.issubclass", "(int, object)"), ("builtins.callable", "(len)"),
    ("builtins.iter", "([1])"), ("builtins.next", "(iter([1]))"), ("builtins.any", "([1])"),
    ("builtins.all", "([1])"), ("builtins.print", "()"), ("builtins.vars", "(script_object)"),
    ("builtins.dir", "()"), ("builtins.globals", "()"), ("builtins.locals", "()"),
    ("builtins.getattr", "(1, 'real')"), ("builtins.hasattr", "(1, 'real')"),
    ("builtins.setattr", "(script_object, 'y', 1)"), ("builtins.eval", "('1')"),
    ("builtins.exec", "('1')"), ("builtins.compile", "('1', 'f', 'eval')"),
    ("builtins.__import__", "('json')"),
    ("builtins.int.from_bytes", "(b'\\x01', 'big')"), ("builtins.float.fromhex", "('0x1p0')"),
    ("builtins.bytes.fromhex", "('00')"), ("builtins.dict.fromkeys", "(['a'])"),
    ("builtins.str.maketrans", "('a', 'b')"),
    # math, cmath, statistics
    ("math.floor", "(2.5)"), ("math.ceil", "(2.5)"), ("math.trunc", "(2.5)"),
    ("math.sqrt", "(2)"), ("math.isqrt", "(5)"), ("math.log", "(2)"), ("math.log2", "(2)"),
    ("math.log10", "(2)"), ("math.log1p", "(2)"), ("math.exp", "(1)"), ("math.pow", "(2, 3)"),
    ("math.isnan", "(1.0)"), ("math.isinf", "(1.0)"), ("math.isfinite", "(1.0)"),
    ("math.isclose", "(1, 1)"), ("math.fsum", "([1, 2])"), ("math.prod", "([1, 2])"),
    ("math.factorial", "(3)"), ("math.gcd", "(4, 6)"), ("math.lcm", "(4, 6)"),
    ("math.comb", "(4, 2)"), ("math.perm", "(4, 2)"), ("math.hypot", "(3, 4)"),
    ("math.fabs", "(-1)"), ("math.copysign", "(1, -1)"), ("math.degrees", "(1)"),
    ("math.radians", "(1)"), ("math.sin", "(1)"), ("math.cos", "(1)"), ("math.tan", "(1)"),
    ("math.atan2", "(1, 1)"), ("math.dist", "([0], [1])"), ("math.modf", "(1.5)"),
    ("math.frexp", "(1.5)"), ("math.fmod", "(5, 2)"), ("math.remainder", "(5, 2)"),
    ("cmath.sqrt", "(-1)"), ("cmath.phase", "(1j)"), ("cmath.polar", "(1j)"),
    ("cmath.rect", "(1, 0)"), ("cmath.exp", "(1j)"), ("cmath.isclose", "(1, 1)"),
    ("statistics.mean", "([1.0, 2.0])"), ("statistics.fmean", "([1, 2])"),
    ("statistics.median", "([1, 2, 3])"), ("statistics.median_low", "([1, 2])"),
    ("statistics.median_high", "([1, 2])"), ("statistics.mode", "([1, 1, 2])"),
    ("statistics.multimode", "([1, 1, 2])"), ("statistics.stdev", "([1.0, 2.0])"),
    ("statistics.pstdev", "([1.0, 2.0])"), ("statistics.variance", "([1.0, 2.0])"),
    ("statistics.pvariance", "([1.0, 2.0])"), ("statistics.quantiles", "([1, 2, 3, 4])"),
    ("statistics.geometric_mean", "([1, 2])"), ("statistics.harmonic_mean", "([1, 2])"),
    ("statistics.correlation", "([1, 2, 3], [1, 2, 4])"),
    ("statistics.covariance", "([1, 2, 3], [1, 2, 4])"),
    ("statistics.linear_regression", "([1, 2, 3], [1, 2, 4])"),
    # json, re, pickle, copy
    ("json.dumps", "({'a': 1})"), ("json.loads", "('{\"a\": 1}')"),
    ("json.load", "(io.StringIO('{}'))"), ("json.dump", "({}, io.StringIO())"),
    ("re.compile", "('a+')"), ("re.match", "('a', 'abc')"), ("re.search", "('b', 'abc')"),
    ("re.fullmatch", "('abc', 'abc')"), ("re.findall", "('a', 'aa')"),
    ("re.finditer", "('a', 'aa')"), ("re.sub", "('a', 'b', 'aa')"),
    ("re.subn", "('a', 'b', 'aa')"), ("re.split", "(',', 'a,b')"), ("re.escape", "('a.b')"),
    ("re.purge", "()"),
    ("pickle.dumps", "([1])"), ("pickle.loads", "(pickle.dumps([1]))"),
    ("pickle.dump", "([1], io.BytesIO())"), ("pickle.load", "(io.BytesIO(pickle.dumps(1)))"),
    ("copy.copy", "([1])"), ("copy.deepcopy", "({'a': [1]})"),
    # os, os.path, sys, shutil, glob, tempfile, subprocess, platform, getpass
    ("os.getcwd", "()"), ("os.listdir", "('.')"), ("os.getenv", "('PATH')"),
    ("os.getpid", "()"), ("os.cpu_count", "()"), ("os.urandom", "(4)"),
    ("os.fspath", "('a')"), ("os.stat", "('data.txt')"), ("os.scandir", "('.')"),
    ("os.walk", "('.')"), ("os.makedirs", "('made/dir', exist_ok=True)"),
    ("os.times", "()"), ("os.uname", "()"),
    ("os.environ.get", "('PATH')"), ("os.sep.join", "(['a', 'b'])"),
    ("os.path.join", "('a', 'b')"), ("os.path.exists", "('data.txt')"),
    ("os.path.isfile", "('data.txt')"), ("os.path.isdir", "('.')"),
    ("os.path.splitext", "('a.txt')"), ("os.path.split", "('a/b')"),
    ("os.path.basename", "('a/b')"), ("os.path.dirname", "('a/b')"),
    ("os.path.abspath", "('a')"), ("os.path.realpath", "('a')"),
    ("os.path.relpath", "('a')"), ("os.path.normpath", "('a/../b')"),
    ("os.path.expanduser", "('~')"), ("os.path.getsize", "('data.txt')"),
    ("os.path.getmtime", "('data.txt')"),
    ("sys.getsizeof", "(1)"), ("sys.getrecursionlimit", "()"), ("sys.exc_info", "()"),
    ("sys.intern", "('a')"), ("sys.getdefaultencoding", "()"),
    ("shutil.which", "('sh')"), ("shutil.disk_usage", "('.')"),
    ("shutil.copy", "('data.txt', 'copy.txt')"), ("shutil.copyfile", "('data.txt', 'copy2.txt')"),
    ("shutil.get_terminal_size", "()"),
    ("glob.glob", "('*')"), ("glob.iglob", "('*')"), ("glob.escape", "('a*')"),
    ("tempfile.mkdtemp", "()"), ("tempfile.mkstemp", "()"), ("tempfile.gettempdir", "()"),
    ("tempfile.NamedTemporaryFile", "()"), ("tempfile.TemporaryFile", "()"),
    ("subprocess.run", "(['true'])"), ("subprocess.check_output", "(['true'])"),
    ("subprocess.call", "(['true'])"), ("subprocess.check_call", "(['true'])"),
    ("subprocess.getoutput", "('true')"), ("subprocess.getstatusoutput", "('true')"),
    ("subprocess.Popen", "(['true'])"),
    ("platform.system", "()"), ("platform.machine", "()"), ("platform.platform", "()"),
    ("platform.python_version", "()"), ("platform.node", "()"), ("platform.uname", "()"),
    ("platform.python_version_tuple", "()"), ("platform.release", "()"),
    ("platform.architecture", "()"), ("platform.python_implementation", "()"),
    ("getpass.getuser", "()"),
    # time, datetime, calendar, zoneinfo
    ("time.time", "()"), ("time.time_ns", "()"), ("time.perf_counter", "()"),
    ("time.perf_counter_ns", "()"), ("time.monotonic", "()"), ("time.process_time", "()"),
    ("time.sleep", "(0)"), ("time.strftime", "('%Y')"), ("time.localtime", "()"),
    ("time.gmtime", "()"), ("time.mktime", "(time.localtime())"), ("time.ctime", "()"),
    ("time.strptime", "('2024', '%Y')"), ("time.asctime", "()"),
    ("datetime.datetime.now", "()"), ("datetime.datetime.utcnow", "()"),
    ("datetime.datetime.today", "()"), ("datetime.datetime.fromisoformat", "('2024-01-02')"),
    ("datetime.datetime.strptime", "('2024', '%Y')"), ("datetime.datetime.fromtimestamp", "(0)"),
    ("datetime.datetime.utcfromtimestamp", "(0)"),
    ("datetime.datetime.combine", "(datetime.date(2024, 1, 2), datetime.time())"),
    ("datetime.date.today", "()"), ("datetime.date.fromisoformat", "('2024-01-02')"),
    ("datetime.date.fromtimestamp", "(0)"), ("datetime.date.fromordinal", "(1)"),
    ("datetime.time.fromisoformat", "('01:02')"),
    ("calendar.monthrange", "(2024, 1)"), ("calendar.isleap", "(2024)"),
    ("calendar.month", "(2024, 1)"), ("calendar.monthcalendar", "(2024, 1)"),
    ("calendar.weekday", "(2024, 1, 2)"), ("calendar.timegm", "((2024, 1, 2, 0, 0, 0))"),
    ("calendar.leapdays", "(2000, 2024)"),
    ("zoneinfo.available_timezones", "()"),
    # random, secrets, uuid, hashlib, base64, zlib, gzip, struct
    ("random.random", "()"), ("random.randint", "(1, 2)"), ("random.choice", "([1, 2])"),
    ("random.choices", "([1, 2], k=2)"), ("random.shuffle", "([1, 2])"),
    ("random.sample", "([1, 2], 1)"), ("random.uniform", "(0, 1)"), ("random.gauss", "(0, 1)"),
    ("random.normalvariate", "(0, 1)"), ("random.seed", "(0)"),
    ("random.getrandbits", "(8)"), ("random.randrange", "(3)"), ("random.getstate", "()"),
    ("random.randbytes", "(2)"), ("random.expovariate", "(1)"),
    ("random.triangular", "()"), ("random.betavariate", "(1, 1)"),
    ("secrets.token_hex", "(4)"), ("secrets.token_bytes", "(4)"),
    ("secrets.token_urlsafe", "(4)"), ("secrets.choice", "([1])"),
    ("secrets.randbelow", "(3)"), ("secrets.compare_digest", "('a', 'a')"),
    ("uuid.uuid4", "()"), ("uuid.uuid1", "()"), ("uuid.uuid3", "(uuid.NAMESPACE_DNS, 'a')"),
    ("uuid.uuid5", "(uuid.NAMESPACE_DNS, 'a')"), ("uuid.getnode", "()"),
    ("hashlib.sha256", "(b'')"), ("hashlib.md5", "(b'')"), ("hashlib.sha1", "(b'')"),
    ("hashlib.sha512", "(b'')"), ("hashlib.new", "('sha256')"), ("hashlib.blake2b", "()"),
    ("hashlib.sha3_256", "()"), ("hashlib.pbkdf2_hmac", "('sha256', b'p', b's', 1)"),
    ("hashlib.file_digest", "(io.BytesIO(b'a'), 'sha256')"),
    ("base64.b64encode", "(b'a')"), ("base64.b64decode", "('YQ==')"),
    ("base64.urlsafe_b64encode", "(b'a')"), ("base64.urlsafe_b64decode", "('YQ==')"),
    ("base64.b32encode", "(b'a')"), ("base64.b16encode", "(b'a')"),
    ("base64.encodebytes", "(b'a')"), ("base64.standard_b64encode", "(b'a')"),
    ("base64.a85encode", "(b'a')"),
    ("zlib.compress", "(b'a')"), ("zlib.decompress", "(zlib.compress(b'a'))"),
    ("zlib.crc32", "(b'a')"), ("zlib.adler32", "(b'a')"), ("zlib.compressobj", "()"),
    ("zlib.decompressobj", "()"),
    ("gzip.compress", "(b'a')"), ("gzip.decompress", "(gzip.compress(b'a'))"),
    ("gzip.open", "('out.gz', 'wb')"),
    ("struct.pack", "('<i', 1)"), ("struct.unpack", "('<i', b'\\x01\\x00\\x00\\x00')"),
    ("struct.calcsize", "('<i')"), ("struct.iter_unpack", "('<i', b'\\x01\\x00\\x00\\x00')"),
    # text
    ("string.capwords", "('a b')"),
    ("textwrap.wrap", "('a b', 1)"), ("textwrap.fill", "('a b', 1)"),
    ("textwrap.dedent", "(' a')"), ("textwrap.indent", "('a', ' ')"),
    ("textwrap.shorten", "('a b', 10)"),
    ("shlex.split", "('a b')"), ("shlex.quote", "('a b')"), ("shlex.join", "(['a', 'b'])"),
    ("fnmatch.fnmatch", "('a', '*')"), ("fnmatch.filter", "(['a'], '*')"),
    ("fnmatch.translate", "('*')"), ("fnmatch.fnmatchcase", "('a', '*')"),
    ("difflib.get_close_matches", "('a', ['a'])"),
    ("difflib.unified_diff", "(['a'], ['b'])"), ("difflib.ndiff", "(['a'], ['b'])"),
    ("difflib.context_diff", "(['a'], ['b'])"),
    ("unicodedata.name", "('a')"), ("unicodedata.normalize", "('NFC', 'a')"),
    ("unicodedata.category", "('a')"), ("unicodedata.lookup", "('LATIN SMALL LETTER A')"),
    ("unicodedata.numeric", "('1')"), ("unicodedata.decimal", "('1')"),
    ("unicodedata.digit", "('1')"), ("unicodedata.east_asian_width", "('a')"),
    ("unicodedata.combining", "('a')"), ("unicodedata.is_normalized", "('NFC', 'a')"),
    ("html.escape", "('<')"), ("html.unescape", "('&lt;')"),
    ("codecs.encode", "('a')"), ("codecs.decode", "(b'a')"),
    ("codecs.lookup", "('utf-8')"), ("codecs.getencoder", "('utf-8')"),
    ("codecs.getincrementalencoder", "('utf-8')"), ("codecs.utf_8_encode", "('a')"),
    ("locale.getlocale", "()"), ("locale.getpreferredencoding", "()"),
    ("locale.setlocale", "(locale.LC_ALL)"), ("locale.localeconv", "()"),
    ("locale.getencoding", "()"), ("locale.atof", "('1.5')"), ("locale.atoi", "('1')"),
    ("locale.format_string", "('%d', 1)"), ("locale.str", "(1.5)"),
    ("pprint.pformat", "([1])"), ("pprint.pprint", "([1])"), ("pprint.saferepr", "([1])"),
    ("pprint.isreadable", "([1])"), ("pprint.pp", "([1])"),
    # collections, itertools, functools, operator, heapq, bisect
    ("collections.namedtuple", "('P', 'x')"),
    ("itertools.tee", "([1])"),
    ("functools.reduce", "(operator.add, [1, 2])"), ("functools.lru_cache", "(maxsize=None)"),
    ("functools.cache", "(len)"), ("functools.wraps", "(len)"),
    ("functools.cmp_to_key", "(lambda a, b: 0)"), ("functools.singledispatch", "(len)"),
    ("functools.update_wrapper", "(script_make_closure(), script_function)"),
    ("operator.add", "(1, 2)"), ("operator.mul", "(2, 3)"), ("operator.getitem", "([1], 0)"),
    ("operator.not_", "(1)"), ("operator.truediv", "(1, 2)"), ("operator.floordiv", "(1, 2)"),
    ("operator.index", "(1)"), ("operator.contains", "([1], 1)"),
    ("heapq.heappush", "([], 1)"), ("heapq.heappop", "([1])"), ("heapq.heapify", "([2, 1])"),
    ("heapq.nlargest", "(1, [1, 2])"), ("heapq.nsmallest", "(1, [1, 2])"),
    ("heapq.merge", "([1], [2])"), ("heapq.heappushpop", "([1], 2)"),
    ("heapq.heapreplace", "([1], 2)"),
    ("bisect.bisect", "([1, 2], 1)"), ("bisect.bisect_left", "([1, 2], 1)"),
    ("bisect.bisect_right", "([1, 2], 1)"), ("bisect.insort", "([1], 2)"),
    ("bisect.insort_left", "([1], 2)"),
    # csv, pathlib, decimal, ipaddress, urllib.parse
    ("csv.reader", "(io.StringIO('a,b'))"), ("csv.writer", "(io.StringIO())"),
    ("csv.field_size_limit", "()"), ("csv.list_dialects", "()"),
    ("csv.get_dialect", "('excel')"),
    ("pathlib.Path.cwd", "()"), ("pathlib.Path.home", "()"),
    ("decimal.getcontext", "()"), ("decimal.localcontext", "()"),
    ("ipaddress.ip_address", "('10.0.0.1')"), ("ipaddress.ip_network", "('10.0.0.0/8')"),
    ("ipaddress.ip_interface", "('10.0.0.1/8')"),
    ("urllib.parse.urlparse", "('http://host/path?a=1')"),
    ("urllib.parse.urlsplit", "('http://host/path')"),
    ("urllib.parse.urlunparse", "(('http', 'host', '/', '', '', ''))"),
    ("urllib.parse.urlencode", "({'a': 1})"), ("urllib.parse.quote", "('a b')"),
    ("urllib.parse.quote_plus", "('a b')"), ("urllib.parse.unquote", "('a%20b')"),
    ("urllib.parse.parse_qs", "('a=1')"), ("urllib.parse.parse_qsl", "('a=1')"),
    ("urllib.parse.urljoin", "('http://host/a', 'b')"),
    ("urllib.parse.urldefrag", "('http://host/a#b')"),
    # enum, dataclasses, typing, types, abc, inspect
    ("enum.unique", "(oracle_helpers.HelperEnum)"),
    ("dataclasses.asdict", "(ScriptDataclass())"), ("dataclasses.astuple", "(ScriptDataclass())"),
    ("dataclasses.fields", "(ScriptDataclass)"), ("dataclasses.is_dataclass", "(ScriptDataclass)"),
    ("dataclasses.field", "()"), ("dataclasses.make_dataclass", "('D', ['x'])"),
    ("typing.cast", "(int, 1)"), ("typing.get_type_hints", "(script_function)"),
    ("typing.NamedTuple", "('P', [('x', int)])"), ("typing.TypedDict", "('T', {'x': int})"),
    ("typing.get_origin", "(list[int])"), ("typing.get_args", "(list[int])"),
    ("typing.overload", "(script_function)"), ("typing.final", "(script_function)"),
    ("types.new_class", "('C')"),
    ("abc.abstractmethod", "(script_function)"), ("abc.get_cache_token", "()"),
    ("inspect.signature", "(len)"), ("inspect.isfunction", "(len)"),
    ("inspect.getmembers", "(1)"), ("inspect.getdoc", "(len)"), ("inspect.getmodule", "(json)"),
    ("inspect.iscoroutinefunction", "(len)"), ("inspect.isclass", "(int)"),
    ("inspect.getfile", "(json)"), ("inspect.stack", "()"), ("inspect.currentframe", "()"),
    ("inspect.getfullargspec", "(script_function)"), ("inspect.cleandoc", "(' a')"),
    ("inspect.unwrap", "(script_function)"), ("inspect.getsource", "(json.dumps)"),
    # argparse, logging, warnings, traceback
    ("logging.getLogger", "('app')"), ("logging.basicConfig", "()"),
    ("logging.info", "('x')"), ("logging.debug", "('x')"), ("logging.warning", "('x')"),
    ("logging.error", "('x')"), ("logging.log", "(10, 'x')"),
    ("logging.getLevelName", "(10)"), ("logging.getLoggerClass", "()"),
    ("warnings.warn", "('x')"), ("warnings.simplefilter", "('ignore')"),
    ("warnings.filterwarnings", "('ignore')"),
    ("warnings.formatwarning", "('m', UserWarning, 'f.py', 1)"),
    ("traceback.format_exc", "()"), ("traceback.format_exception", "(ValueError('x'))"),
    ("traceback.extract_stack", "()"), ("traceback.print_exc", "()"),
    ("traceback.format_stack", "()"), ("traceback.walk_stack", "(None)"),
    ("traceback.TracebackException.from_exception", "(ValueError('x'))"),
    # threading, multiprocessing, concurrent.futures, asyncio, queue, socket
    ("threading.Lock", "()"), ("threading.RLock", "()"), ("threading.current_thread", "()"),
    ("threading.main_thread", "()"), ("threading.active_count", "()"),
    ("threading.get_ident", "()"), ("threading.enumerate", "()"),
    ("threading.get_native_id", "()"),
    ("multiprocessing.cpu_count", "()"), ("multiprocessing.Queue", "()"),
    ("multiprocessing.JoinableQueue", "()"), ("multiprocessing.SimpleQueue", "()"),
    ("multiprocessing.Lock", "()"), ("multiprocessing.RLock", "()"),
    ("multiprocessing.Event", "()"), ("multiprocessing.Semaphore", "()"),
    ("multiprocessing.Condition", "()"), ("multiprocessing.Barrier", "(1)"),
    ("multiprocessing.Value", "('i', 0)"), ("multiprocessing.Array", "('i', 2)"),
    ("multiprocessing.Pipe", "()"), ("multiprocessing.current_process", "()"),
    ("multiprocessing.get_context", "()"),
    ("concurrent.futures.wait", "([])"), ("concurrent.futures.as_completed", "([])"),
    ("asyncio.new_event_loop", "()"), ("asyncio.run", "(asyncio.sleep(0, 1))"),
    ("asyncio.sleep", "(0)"), ("asyncio.iscoroutinefunction", "(len)"),
    ("asyncio.wait_for", "(asyncio.sleep(0), 1)"), ("asyncio.to_thread", "(len, [])"),
    ("socket.gethostname", "()"), ("socket.socketpair", "()"),
    ("socket.inet_aton", "('1.2.3.4')"), ("socket.htons", "(1)"),
    ("socket.getdefaulttimeout", "()"),
    ("signal.getsignal", "(signal.SIGINT)"), ("signal.signal", "(signal.SIGUSR1, signal.SIG_IGN)"),
    ("signal.alarm", "(0)"), ("signal.strsignal", "(2)"), ("signal.valid_signals", "()"),
    # sqlite3, weakref, xml, ast, dis, tokenize, timeit, cProfile
    ("sqlite3.connect", "(':memory:')"), ("sqlite3.complete_statement", "('select 1;')"),
    ("weakref.proxy", "(logging.getLogger('app'))"), ("weakref.getweakrefcount", "(ScriptClass)"),
    ("xml.etree.ElementTree.fromstring", "('<a><b>t</b></a>')"),
    ("xml.etree.ElementTree.XML", "('<a/>')"),
    ("xml.etree.ElementTree.tostring", "(xml.etree.ElementTree.Element('a'))"),
    ("xml.etree.ElementTree.tostringlist", "(xml.etree.ElementTree.Element('a'))"),
    ("xml.etree.ElementTree.parse", "('data.xml')"),
    ("xml.etree.ElementTree.iterparse", "('data.xml')"),
    ("xml.etree.ElementTree.SubElement", "(xml.etree.ElementTree.Element('a'), 'b')"),
    ("xml.etree.ElementTree.indent", "(xml.etree.ElementTree.Element('a'))"),
    ("xml.etree.ElementTree.canonicalize", "('<a/>')"),
    ("ast.parse", "('x')"), ("ast.literal_eval", "('1')"), ("ast.dump", "(ast.parse('x'))"),
    ("ast.unparse", "(ast.parse('x'))"), ("ast.walk", "(ast.parse('x'))"),
    ("ast.get_docstring", "(ast.parse('\"d\"'))"),
    ("ast.fix_missing_locations", "(ast.parse('x'))"),
    ("ast.iter_child_nodes", "(ast.parse('x'))"), ("ast.iter_fields", "(ast.parse('x'))"),
    ("dis.dis", "(script_function)"), ("dis.get_instructions", "(script_function)"),
    ("dis.code_info", "(script_function)"), ("dis.findlinestarts", "(script_function.__code__)"),
    ("tokenize.generate_tokens", "(io.StringIO('x').readline)"),
    ("tokenize.tokenize", "(io.BytesIO(b'x').readline)"),
    ("tokenize.detect_encoding", "(io.BytesIO(b'x').readline)"),
    ("tokenize.open", "('data.txt')"),
    ("timeit.timeit", "('1', number=1)"), ("timeit.repeat", "('1', number=1, repeat=1)"),
    ("timeit.default_timer", "()"),
    ("cProfile.run", "('1')"),
]

# Method calls whose result type METHODS records: (receiver expression, calls separated
# by " ; "). The method name is the text before the first "(".
METHOD_CALLS: list[tuple[str, str]] = [
    ("'a,b'", "split(',') ; rsplit(',') ; replace('a', 'b') ; startswith('a') ; endswith('b') ; "
              "find('a') ; index('a') ; count('a') ; partition(',') ; rpartition(',') ; "
              "encode('ascii') ; center(5) ; ljust(5) ; rjust(5) ; zfill(5) ; strip('a') ; "
              "removeprefix('a') ; removesuffix('b') ; translate({}) ; format_map({}) ; "
              "split(',', 1) ; rfind('a') ; rindex('a')"),
    ("','", "join(['a', 'b'])"),
    ("'{}'", "format(1)"),
    ("b'a,b'", "split(b',') ; startswith(b'a') ; endswith(b'b') ; replace(b'a', b'c') ; "
               "find(b'a') ; count(b'a') ; decode('ascii') ; partition(b',') ; strip(b'a')"),
    ("b','", "join([b'a', b'b'])"),
    ("bytearray(b'ab')", "append(1) ; extend(b'c') ; decode() ; find(b'a')"),
    ("[3, 1, 2]", "append(1) ; extend([1]) ; insert(0, 1) ; remove(3) ; index(3) ; count(3) ; "
                  "pop(0) ; sort(reverse=True)"),
    ("(1, 2)", "count(1) ; index(1)"),
    ("{'a': 1}", "get('a') ; get('b', 2) ; pop('a') ; setdefault('b', 2) ; update({'b': 2}) ; "
                 "fromkeys(['a'])"),
    ("{1, 2}", "add(3) ; union({3}) ; intersection({1}) ; difference({1}) ; issubset({1}) ; "
               "issuperset({1}) ; symmetric_difference({1}) ; discard(1) ; remove(1) ; "
               "update({3}) ; isdisjoint({5})"),
    ("frozenset({1, 2})", "union({3}) ; intersection({1}) ; difference({1}) ; issubset({1})"),
    ("5", "to_bytes(2, 'big')"),
    ("range(5)", "index(1) ; count(1)"),
    ("memoryview(b'ab')", "cast('B') ; hex()"),
    ("slice(1, 2)", "indices(5)"),
    ("{'a': 1}.keys()", "isdisjoint(['b'])"),
    ("(i for i in range(3))", "send(None) ; close()"),
    ("collections.deque([1, 2])", "append(3) ; appendleft(0) ; extend([3]) ; extendleft([0]) ; "
                                  "rotate(1) ; count(1) ; index(1) ; remove(1) ; insert(0, 1)"),
    ("collections.Counter('abca')", "most_common(1) ; update('a') ; subtract('a') ; get('a')"),
    ("collections.OrderedDict(a=1, b=2)", "move_to_end('a') ; popitem(last=False)"),
    ("collections.defaultdict(list, {'a': [1]})", "get('a') ; setdefault('b', [])"),
    ("collections.ChainMap({'a': 1})", "new_child() ; get('a')"),
    ("datetime.date(2024, 1, 2)", "strftime('%Y') ; replace(day=3) ; isoformat()"),
    ("datetime.datetime(2024, 1, 2, 3, 4, 5)", "strftime('%Y') ; replace(year=2023) ; "
                                               "astimezone(datetime.timezone.utc) ; isoformat(' ')"),
    ("datetime.time(1, 2)", "strftime('%H') ; replace(hour=3)"),
    ("datetime.timezone.utc", "utcoffset(None) ; tzname(None) ; dst(None)"),
    ("zoneinfo.ZoneInfo('UTC')", "utcoffset(datetime.datetime(2024, 1, 2)) ; "
                                 "tzname(datetime.datetime(2024, 1, 2))"),
    ("decimal.Decimal('1.5')", "quantize(decimal.Decimal('1')) ; compare(1) ; max(1)"),
    ("fractions.Fraction(1, 3)", "limit_denominator(10)"),
    ("pathlib.PurePosixPath('a/b.txt')", "with_suffix('.csv') ; with_name('c') ; joinpath('c') ; "
                                         "relative_to('a') ; match('*.txt') ; with_stem('c') ; "
                                         "is_relative_to('a')"),
    ("pathlib.Path('data.txt')", "exists() ; is_file() ; is_dir() ; read_text() ; read_bytes() ; "
                                 "resolve() ; absolute() ; stat() ; open() ; "
                                 "with_suffix('.csv') ; expanduser() ; as_posix() ; "
                                 "samefile('data.txt') ; owner() ; is_symlink() ; lstat() ; "
                                 "joinpath('x') ; relative_to('.') ; with_name('x') ; "
                                 "is_absolute() ; match('*.txt')"),
    ("pathlib.Path('.')", "iterdir() ; glob('*') ; rglob('*')"),
    ("pathlib.Path('out.txt')", "write_text('x') ; write_bytes(b'x') ; touch() ; "
                                "unlink(missing_ok=True)"),
    ("pathlib.Path('newdir')", "mkdir(exist_ok=True)"),
    ("re.compile('(a)(b)?')", "match('ab') ; search('ab') ; fullmatch('ab') ; findall('ab') ; "
                              "finditer('ab') ; sub('x', 'ab') ; subn('x', 'ab') ; split('ab')"),
    ("re.match('(a)(b)?', 'ab')", "group(1) ; expand('\\\\1') ; span(1) ; start(1)"),
    ("hashlib.sha256(b'a')", "update(b'a')"),
    ("random.Random(0)", "randint(1, 2) ; choice([1]) ; shuffle([1]) ; sample([1], 1) ; "
                         "uniform(0, 1) ; gauss(0, 1) ; choices([1]) ; randrange(3) ; "
                         "getrandbits(8)"),
    ("io.StringIO('a\\nb\\n')", "write('x') ; seek(0) ; read(1)"),
    ("io.BytesIO(b'ab')", "write(b'x') ; seek(0) ; read(1)"),
    ("open('out.txt', 'w')", "write('x') ; writelines(['x'])"),
    ("open('data.txt')", "read(1) ; readline(1) ; seek(0)"),
    ("logging.getLogger('app')", "info('x') ; debug('x') ; warning('x') ; error('x') ; "
                                 "exception('x') ; critical('x') ; log(10, 'x') ; "
                                 "getChild('c') ; setLevel(10) ; addHandler(logging.NullHandler()) ; "
                                 "isEnabledFor(10)"),
    ("argparse.ArgumentParser()", "parse_args([]) ; parse_known_args([]) ; add_argument('--x') ; "
                                  "add_argument_group('g') ; add_subparsers() ; format_help() ; "
                                  "set_defaults(x=1) ; add_mutually_exclusive_group() ; "
                                  "format_usage() ; get_default('x')"),
    ("threading.Thread()", "start() ; is_alive() ; getName()"),
    ("threading.Lock()", "acquire() ; locked() ; acquire(timeout=0)"),
    ("threading.Event()", "is_set() ; set() ; clear() ; wait(0)"),
    ("threading.Semaphore()", "acquire() ; release()"),
    ("(lambda q: (q.put(1), q)[1])(queue.Queue())", "get() ; get_nowait() ; put(2) ; qsize() ; "
                                                    "empty() ; full() ; task_done()"),
    ("concurrent.futures.ThreadPoolExecutor(1)", "submit(len, []) ; map(len, [[]]) ; shutdown()"),
    ("concurrent.futures.Future()", "done() ; cancel() ; cancelled() ; running()"),
    ("sqlite3.connect(':memory:')", "cursor() ; execute('select 1') ; commit() ; close() ; "
                                    "executescript('select 1;')"),
    ("sqlite3.connect(':memory:').execute('select 1')", "fetchall() ; fetchone() ; fetchmany(1)"),
    ("socket.socket()", "fileno() ; getsockname() ; settimeout(1) ; gettimeout() ; close()"),
    ("struct.Struct('<i')", "pack(1) ; unpack(b'\\x01\\x00\\x00\\x00') ; "
                            "iter_unpack(b'\\x01\\x00\\x00\\x00')"),
    ("array.array('i', [1, 2])", "append(3) ; tolist() ; tobytes() ; buffer_info() ; count(1) ; "
                                 "index(1)"),
    ("string.Template('$x')", "substitute(x=1) ; safe_substitute()"),
    ("string.Formatter()", "format('{}', 1) ; parse('a{}')"),
    ("email.message.Message()", "get('x') ; set_payload('x') ; add_header('X', 'y') ; "
                                "get_all('x')"),
    ("xml.etree.ElementTree.fromstring('<a><b>t</b></a>')",
     "find('b') ; findall('b') ; findtext('b') ; get('x') ; set('x', '1') ; "
     "append(xml.etree.ElementTree.Element('c')) ; iterfind('b') ; iter('b')"),
    ("statistics.NormalDist(0, 1)", "cdf(0) ; pdf(0) ; inv_cdf(0.5) ; samples(1) ; "
                                    "overlap(statistics.NormalDist()) ; zscore(1) ; quantiles(4)"),
    ("graphlib.TopologicalSorter({'a': ['b']})", "static_order() ; prepare() ; add('c')"),
    ("difflib.SequenceMatcher(None, 'abc', 'abd')", "get_grouped_opcodes(1) ; set_seqs('a', 'b')"),
    ("textwrap.TextWrapper()", "wrap('a b') ; fill('a b')"),
    ("json.JSONEncoder()", "encode({}) ; iterencode({})"),
    ("json.JSONDecoder()", "decode('{}') ; raw_decode('{}')"),
    ("mmap.mmap(-1, 16)", "write(b'a') ; find(b'a') ; read(1) ; seek(0)"),
    ("inspect.signature(script_function)", "bind(1) ; bind_partial() ; replace()"),
    ("timeit.Timer('1')", "timeit(1) ; repeat(1, 1) ; autorange()"),
    ("asyncio.new_event_loop()", "run_until_complete(asyncio.sleep(0, 1)) ; create_future() ; "
                                 "time() ; is_running() ; close() ; create_task(asyncio.sleep(0))"),
    ("asyncio.Queue()", "put_nowait(1) ; qsize() ; empty()"),
    ("zlib.compressobj()", "compress(b'a') ; flush()"),
    ("gzip.GzipFile(fileobj=io.BytesIO(), mode='wb')", "write(b'a')"),
    ("tempfile.NamedTemporaryFile()", "write(b'x') ; flush() ; close()"),
    ("tempfile.TemporaryDirectory()", "cleanup()"),
    ("subprocess.Popen(['true'])", "wait() ; communicate()"),
    ("subprocess.CompletedProcess(['true'], 0)", "check_returncode()"),
    ("multiprocessing.Queue()", "put(1) ; qsize() ; empty()"),
    ("csv.writer(io.StringIO())", "writerow(['a']) ; writerows([['a']])"),
    ("csv.DictWriter(io.StringIO(), ['a'])", "writeheader() ; writerow({'a': 1})"),
    ("ipaddress.IPv4Network('10.0.0.0/30')", "hosts() ; subnets() ; supernet() ; "
                                             "overlaps(ipaddress.IPv4Network('10.0.0.0/8'))"),
    ("os.environ", "get('PATH') ; copy() ; setdefault('ORACLE_X', 'y') ; keys() ; items()"),
    ("types.MappingProxyType({'a': 1})", "get('a')"),
    ("weakref.WeakValueDictionary()", "get('a') ; keys() ; valuerefs()"),
]

# Receivers on which every public method that accepts no argument is called (each in
# its own child, on a fresh receiver): plain data and inert objects only.
AUTO_METHOD_RECEIVERS = [
    "'Text,b'", "b'text'", "bytearray(b'text')", "5", "2.5", "1+2j", "[3, 1, 2]", "(1, 2)",
    "{'a': 1}", "{1, 2}", "frozenset({1, 2})", "range(5)", "memoryview(b'ab')",
    "collections.deque([1, 2])", "collections.Counter('abca')",
    "collections.OrderedDict(a=1, b=2)", "collections.defaultdict(list, {'a': [1]})",
    "collections.ChainMap({'a': 1})", "datetime.date(2024, 1, 2)",
    "datetime.datetime(2024, 1, 2, 3, 4, 5)", "datetime.time(1, 2)",
    "datetime.timedelta(days=1)", "decimal.Decimal('1.5')", "fractions.Fraction(1, 3)",
    "pathlib.PurePosixPath('a/b.txt')", "ipaddress.IPv4Network('10.0.0.0/30')",
    "re.match('(a)(b)?', 'ab')", "hashlib.sha256(b'a')", "random.Random(0)",
    "array.array('i', [1, 2])", "io.StringIO('a\\nb\\n')", "io.BytesIO(b'ab')",
    "open('data.txt')", "open('data.txt', 'rb')", "statistics.NormalDist(0, 1)",
    "email.message.Message()", "xml.etree.ElementTree.fromstring('<a><b>t</b></a>')",
    "difflib.SequenceMatcher(None, 'abc', 'abd')", "types.MappingProxyType({'a': 1})",
    "sqlite3.connect(':memory:')", "sqlite3.connect(':memory:').execute('select 1')",
    "mmap.mmap(-1, 16)", "zlib.compressobj()", "decimal.Context()", "string.Template('$x')",
    "logging.getLogger('app')", "threading.Lock()", "threading.RLock()",
    "argparse.Namespace(a=1)", "uuid.UUID('12345678123456781234567812345678')",
    "urllib.parse.urlparse('http://host/path?a=1')", "time.localtime(0)",
    "inspect.signature(script_function)", "collections.UserDict({'a': 1})",
    "(i for i in range(3))", "ast.parse('x = 1')", "calendar.Calendar()",
]
AUTO_METHOD_SKIP = {"acquire_lock", "release_lock", "wait", "join", "get", "serve_forever"}

# ----------------------------------------------------------------------------- measuring
# Everything below up to "rendering" runs in the measuring child (the venv's python).

def tname(t: type) -> str:
    return f"{t.__module__}.{t.__qualname__}"


def sig(v: Any) -> str:
    """The type of a value, plus the key types of a dict: what "the same type" means."""
    s = tname(type(v))
    if isinstance(v, dict):
        s += "{" + ",".join(sorted({tname(type(k)) for k in v})) + "}"
    return s


def variant(v: Any) -> str | None:
    """What, besides its type, can change a value's fate: the pseudo suffix it gets."""
    import math

    if type(v) is float and math.isnan(v):
        return "nan"
    if type(v) is float and math.isinf(v):
        return "inf"
    if isinstance(v, (bytes, bytearray)):
        try:
            bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            return "non-utf8"
    if isinstance(v, dict):
        others = sorted({type(k).__name__ for k in v if not isinstance(k, str)})
        if others:
            return "-".join(others) + "-keys"
    return None


LOADER = r'''
import base64, json, pickle, sys
sys.path.insert(0, sys.argv[1])
def tname(t):
    return f"{t.__module__}.{t.__qualname__}"
def sig(v):
    s = tname(type(v))
    if isinstance(v, dict):
        s += "{" + ",".join(sorted({tname(type(k)) for k in v})) + "}"
    return s
out = {}
for key, blob in json.load(sys.stdin):
    try:
        v = pickle.loads(base64.b64decode(blob))["v"]
        out[key] = {"ok": sig(v), "short": type(v).__name__}
    except BaseException as e:
        out[key] = {"err": f"{type(e).__name__}: {e}"}
json.dump(out, sys.stdout, sort_keys=True)
'''


def validate_json_string_keys(value: Any, path: str) -> None:
    """cwsandbox==1.22.0 `_function._validate_json_string_keys`, verbatim in behaviour."""
    if isinstance(value, dict):
        for key, sub in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"Function payload contains a dict with non-string keys: "
                    f"{path} (key {key!r} has type {type(key).__name__})"
                )
            validate_json_string_keys(sub, f"{path}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, sub in enumerate(value):
            validate_json_string_keys(sub, f"{path}[{index}]")


def describe_error(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e)[:200]}"


class Measurer:
    """Runs jobs in forked children, a few at a time."""

    def __init__(self, ns: dict[str, Any], adapter: Any, workers: int):
        self.ns = ns
        self.adapter = adapter
        self.workers = workers
        self.memory_limit = self._vmsize() + (256 << 20)

    @staticmethod
    def _vmsize() -> int:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
        return 1 << 30

    # -- inside a child
    def _child(self, job: Any, fd: int) -> None:
        import resource
        import signal as signal_module

        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        resource.setrlimit(resource.RLIMIT_AS, (self.memory_limit, self.memory_limit))
        signal_module.alarm(30)

        def emit(obj: dict[str, Any]) -> None:
            data = memoryview((json.dumps(obj) + "\n").encode())
            while data:
                data = data[os.write(fd, data):]

        try:
            job(emit)
        except BaseException as e:  # noqa: BLE001
            try:
                emit({"error": describe_error(e)})
            except BaseException:  # noqa: BLE001
                pass

    def run(self, jobs: list[tuple[str, Any]]) -> dict[str, dict[str, Any]]:
        import selectors

        results: dict[str, dict[str, Any]] = {}
        pending = list(reversed(jobs))
        running: dict[int, tuple[str, int, bytearray]] = {}
        sel = selectors.DefaultSelector()
        while pending or running:
            while pending and len(running) < self.workers:
                key, job = pending.pop()
                r, w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    os.close(r)
                    try:
                        self._child(job, w)
                    finally:
                        os._exit(0)
                os.close(w)
                running[r] = (key, pid, bytearray())
                sel.register(r, selectors.EVENT_READ)
            for sk, _ in sel.select():
                fd = sk.fd
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    running[fd][2].extend(chunk)
                    continue
                sel.unregister(fd)
                os.close(fd)
                key, pid, buf = running.pop(fd)
                _, status = os.waitpid(pid, 0)
                merged: dict[str, Any] = {}
                for line in buf.decode(errors="replace").splitlines():
                    try:
                        merged.update(json.loads(line))
                    except ValueError:  # a child killed in the middle of a line
                        merged["truncated"] = True
                if os.WIFSIGNALED(status):
                    merged["died"] = f"signal {os.WTERMSIG(status)}"
                results[key] = merged
        return results

    # -- jobs
    def value_job(self, candidates: list[str] | None = None, getter: Any = None,
                  expr: str | None = None) -> Any:
        """Measure one value: from the first candidate expression that evaluates, or
        from a getter (then re-read for each serializer)."""
        ns = self.ns
        adapter = self.adapter

        def job(emit: Any) -> None:
            get = getter
            used = expr
            if get is None:
                last: BaseException | None = None
                for cand in candidates or []:
                    try:
                        eval(cand, ns)  # noqa: S307
                    except BaseException as e:  # noqa: BLE001
                        last = e
                        continue
                    used = cand
                    get = (lambda c=cand: eval(c, ns))  # noqa: S307
                    break
                if get is None:
                    emit({"error": describe_error(last) if last else "no candidate"})
                    return
            v = get()
            emit({"expr": used, "type": tname(type(v)), "short": type(v).__name__,
                  "callable": callable(v), "sig": sig(v), "variant": variant(v),
                  "class_module": getattr(type(v), "__module__", "")})
            # strict JSON (cwsandbox)
            try:
                payload = {"v": get()}
                validate_json_string_keys(payload, "closure_vars")
                out = json.loads(json.dumps(payload))["v"]
                emit({"strict": {"ok": sig(out), "short": type(out).__name__}})
            except BaseException as e:  # noqa: BLE001
                emit({"strict": {"err": describe_error(e)}})
            # pickle (client side)
            try:
                import base64
                import pickle
                blob = pickle.dumps({"v": get()})
                emit({"pickle": {"blob": base64.b64encode(blob).decode()}})
            except BaseException as e:  # noqa: BLE001
                emit({"pickle": {"err": describe_error(e)}})
            # pydantic (aviato JSON); last, as it may consume the value or die
            emit({"pydantic": {"err": "the serializer did not return (killed)"}})
            try:
                out = json.loads(adapter.dump_json({"v": get()}))["v"]
                emit({"pydantic": {"ok": sig(out), "short": type(out).__name__}})
            except BaseException as e:  # noqa: BLE001
                emit({"pydantic": {"err": describe_error(e)}})

        return job

    def methods_job(self, receiver: str) -> Any:
        import inspect as inspect_module

        ns = self.ns

        def job(emit: Any) -> None:
            v = eval(receiver, ns)  # noqa: S307
            names = []
            for name in sorted(dir(v)):
                if name.startswith("_") or name in AUTO_METHOD_SKIP:
                    continue
                try:
                    attr = getattr(v, name)
                except BaseException:  # noqa: BLE001
                    continue
                if not callable(attr) or isinstance(attr, type):
                    continue
                try:
                    params = inspect_module.signature(attr).parameters.values()
                except (TypeError, ValueError):
                    names.append(name)
                    continue
                required = [p for p in params if p.default is p.empty
                            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
                if not required:
                    names.append(name)
            emit({"methods": names})

        return job


def fates(rec: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
    def judge(result: dict[str, Any]) -> list[str]:
        if "ok" not in result:
            return ["Refused"]
        if result["ok"] == rec["sig"]:
            return ["Carried"]
        return ["Becomes", result["short"]]

    pickle_result = rec.get("pickle", {"err": "missing"})
    if "blob" in pickle_result:
        load = loaded.get(rec["_id"], {"err": "not loaded"})
        pickle_fate = judge(load) if "ok" in load else ["Unloadable"]
    else:
        pickle_fate = ["Refused"]
    return {
        "pydantic": judge(rec.get("pydantic", {"err": "missing"})),
        "pickle": pickle_fate,
        "strict_json": judge(rec.get("strict", {"err": "missing"})),
        "callable": rec["callable"],
    }


def measure_main(workdir: Path, out_path: Path, site_packages: list[str]) -> None:  # noqa: C901, PLR0912, PLR0915
    import importlib
    import warnings

    warnings.simplefilter("ignore")
    # 1. The listed modules, and a snapshot of their public members, before anything else.
    #    The child runs with -S (no .pth file of the venv touches sys.meta_path and the
    #    like); the names that site adds to builtins are added here, as in any script.
    import site

    site.setquit()
    site.setcopyright()
    site.sethelper()
    modules = {}
    for name in dict.fromkeys(MODULES):
        modules[name] = importlib.import_module(name)
    snapshot: dict[tuple[str, str], Any] = {}
    kinds: dict[tuple[str, str], str] = {}
    import types as types_module

    for mod_name, mod in modules.items():
        for member in dir(mod):
            if member.startswith("_"):
                continue
            try:
                value = getattr(mod, member)
            except AttributeError:
                continue
            snapshot[(mod_name, member)] = value
            if isinstance(value, types_module.ModuleType):
                kinds[(mod_name, member)] = "Module"
            elif isinstance(value, type):
                kinds[(mod_name, member)] = "Class"
            elif callable(value):
                kinds[(mod_name, member)] = "Function"
            else:
                kinds[(mod_name, member)] = "Value"
    for name in EXTRA_IMPORTS:
        importlib.import_module(name)

    # 2. The serializer under test (the venv's site-packages, without its .pth files).
    sys.path.extend(site_packages)
    import pydantic

    if pydantic.VERSION != PYDANTIC_VERSION:
        raise SystemExit(f"pydantic {pydantic.VERSION} found, {PYDANTIC_VERSION} wanted")
    from pydantic import TypeAdapter

    adapter = TypeAdapter(dict[str, Any])

    # 3. The script's world: a working directory with a few files, the helper module,
    #    and the script's own definitions in __main__.
    os.chdir(workdir / "cwd")
    tempfile.tempdir = str(workdir / "tmp")
    (workdir / "cwd" / "data.txt").write_text("line 1\nline 2\n")
    (workdir / "cwd" / "data.xml").write_text("<a><b>t</b></a>")
    sys.path.insert(0, str(workdir / "helpers"))
    import oracle_helpers  # noqa: F401  (written by the parent)

    ns = vars(sys.modules["__main__"])
    exec(SCRIPT_PRELUDE, ns)  # noqa: S102
    for name in list(MODULES) + EXTRA_IMPORTS + [HELPER_MODULE_NAME]:
        top = name.split(".")[0]
        ns[top] = sys.modules[top]

    measurer = Measurer(ns, adapter, workers=max(2, os.cpu_count() or 2))
    records: dict[str, dict[str, Any]] = {}
    counter = [0]

    def new_id(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}{counter[0]:05d}"

    # 4. Jobs.
    jobs: list[tuple[str, Any]] = []
    sample_ids = []
    for expr, name in SAMPLES:
        jid = new_id("s")
        sample_ids.append((jid, expr, name))
        jobs.append((jid, measurer.value_job([expr])))
    member_ids = []
    for key in sorted(kinds):
        if kinds[key] != "Value":
            continue
        jid = new_id("m")
        member_ids.append((jid, key))
        jobs.append((jid, measurer.value_job(getter=(lambda k=key: snapshot[k]),
                                             expr=f"{key[0]}.{key[1]}")))
    class_ids = []
    seen_classes: dict[int, str] = {}
    import enum as enum_module

    paths_of: dict[int, list[str]] = {}
    for key in sorted(kinds):
        if kinds[key] == "Class":
            paths_of.setdefault(id(snapshot[key]), []).append(f"{key[0]}.{key[1]}")
    for key in sorted(kinds):
        if kinds[key] != "Class":
            continue
        cls = snapshot[key]
        path = f"{key[0]}.{key[1]}"
        if id(cls) in seen_classes:
            class_ids.append((seen_classes[id(cls)], path))
            continue
        candidates = []
        for k in paths_of[id(cls)] + [tname(cls)]:
            if k in CTOR_ARGS:
                if CTOR_ARGS[k] is None:
                    candidates = None
                elif CTOR_ARGS[k].startswith("="):
                    candidates.append(CTOR_ARGS[k][1:])
                else:
                    candidates.append(path + CTOR_ARGS[k])
                break
        if candidates is None:
            continue
        if not candidates:
            if isinstance(cls, enum_module.EnumMeta):
                candidates.append(f"{path}(list({path})[0].value)")
            elif issubclass(cls, tuple) and hasattr(cls, "_fields"):
                candidates.append(f"{path}(*[None] * len({path}._fields))")
            elif issubclass(cls, tuple) and hasattr(cls, "n_sequence_fields"):
                candidates.append(f"{path}((0,) * {path}.n_sequence_fields)")
            else:
                candidates.append(path + "()")
                if issubclass(cls, BaseException):
                    candidates.append(path + "('x')")
        jid = new_id("c")
        seen_classes[id(cls)] = jid
        class_ids.append((jid, path))
        jobs.append((jid, measurer.value_job(candidates)))
    call_ids = []
    for path, args in CALLS:
        jid = new_id("f")
        call_ids.append((jid, path))
        jobs.append((jid, measurer.value_job([path + args])))
    method_ids = []
    receiver_ids: dict[str, str] = {}

    def receiver(expr: str) -> str:
        if expr not in receiver_ids:
            jid = new_id("r")
            receiver_ids[expr] = jid
            jobs.append((jid, measurer.value_job([expr])))
        return receiver_ids[expr]

    for recv, calls in METHOD_CALLS:
        rid = receiver(recv)
        for call in calls.split(" ; "):
            call = call.strip()
            jid = new_id("t")
            method_ids.append((jid, rid, call.split("(")[0], True))
            jobs.append((jid, measurer.value_job([f"({recv}).{call}"])))
    listing_ids = []
    for recv in AUTO_METHOD_RECEIVERS:
        rid = receiver(recv)
        jid = new_id("l")
        listing_ids.append((jid, rid, recv))
        jobs.append((jid, measurer.methods_job(recv)))

    t0 = time.monotonic()
    records.update(measurer.run(jobs))
    auto_jobs = []
    for jid, rid, recv in listing_ids:
        for name in records[jid].get("methods", []):
            mid = new_id("a")
            method_ids.append((mid, rid, name, False))
            auto_jobs.append((mid, measurer.value_job([f"({recv}).{name}()"])))
    records.update(measurer.run(auto_jobs))
    t1 = time.monotonic()

    # 5. Load every pickle in a fresh interpreter.
    blobs = [[jid, rec["pickle"]["blob"]] for jid, rec in sorted(records.items())
             if "blob" in rec.get("pickle", {})]
    loader_cwd = workdir / "sandbox"
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", LOADER, str(workdir / "helpers")],
        input=json.dumps(blobs), capture_output=True, text=True, cwd=loader_cwd,
        timeout=600, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"pickle loader failed: {proc.stderr[-2000:]}")
    loaded = json.loads(proc.stdout)
    t2 = time.monotonic()

    out = {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "pydantic": pydantic.VERSION,
        "platform": sys.platform,
        "kinds": [[m, n, k] for (m, n), k in sorted(kinds.items())],
        "samples": sample_ids,
        "members": [[jid, m, n] for jid, (m, n) in member_ids],
        "classes": class_ids,
        "calls": call_ids,
        "methods": method_ids,
        "receivers": receiver_ids,
        "records": records,
        "loaded": loaded,
        "timing": {"children": round(t1 - t0, 1), "loader": round(t2 - t1, 1)},
    }
    out_path.write_text(json.dumps(out))


# ----------------------------------------------------------------------------- assembling
def fate_key(facts: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(json.dumps(facts[k]) for k in ("pydantic", "pickle", "strict_json", "callable"))


class Table:
    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        self.records = raw["records"]
        for jid, rec in self.records.items():
            rec["_id"] = jid
        self.loaded = raw["loaded"]
        self.types: dict[str, dict[str, Any]] = {}
        self.members: dict[tuple[str, str], tuple[str, str | None]] = {}
        self.returns: dict[str, str] = {}
        self.methods: dict[tuple[str, str], str] = {}
        self.warnings: list[str] = []
        self.pruned: list[str] = []

    def ok(self, jid: str) -> dict[str, Any] | None:
        rec = self.records.get(jid, {})
        if "type" not in rec or "error" in rec:
            return None
        return rec

    def facts(self, rec: dict[str, Any]) -> dict[str, Any]:
        return {"short": rec["short"], **fates(rec, self.loaded)}

    def local_type(self, rec: dict[str, Any]) -> bool:
        return rec["class_module"] in ("__main__", HELPER_MODULE_NAME)

    def ensure(self, rec: dict[str, Any]) -> str:
        """The entry for a value's type, measured from this value if it is new."""
        name = rec["type"]
        if name not in self.types:
            self.types[name] = self.facts(rec)
        return name

    def build(self) -> None:  # noqa: C901, PLR0912
        # Samples first: they are the representative values of their types.
        for jid, expr, name in self.raw["samples"]:
            rec = self.ok(jid)
            if rec is None:
                self.warnings.append(f"sample {expr!r}: {self.records.get(jid)}")
                continue
            if name is None:
                entry = rec["type"] + (f"[{rec['variant']}]" if rec["variant"] else "")
                if self.local_type(rec):
                    self.warnings.append(f"sample {expr!r}: type {entry} needs a pseudo name")
                    continue
            elif name.startswith("["):
                entry = rec["type"] + name
            else:
                entry = name
            if entry in self.types:
                self.warnings.append(f"sample {expr!r}: duplicate entry {entry}")
                continue
            self.types[entry] = self.facts(rec)
        # A pseudo-entry exists only where its fates differ from its base entry's.
        for entry in [n for n in self.types if "[" in n]:
            base = self.types.get(entry.split("[")[0])
            if base is not None and fate_key(base) == fate_key(self.types[entry]):
                self.pruned.append(entry)
                del self.types[entry]
        # Module members.
        for module, member, kind in self.raw["kinds"]:
            self.members[(module, member)] = (kind, None)
        for jid, module, member in self.raw["members"]:
            rec = self.ok(jid)
            if rec is None:
                self.warnings.append(f"member {module}.{member}: {self.records.get(jid)}")
                del self.members[(module, member)]
                continue
            # The entry of the value's type and variant if the fates agree, else one of
            # its own.
            base = rec["type"]
            tagged = f"{base}[{rec['variant']}]" if rec["variant"] else base
            measured = self.facts(rec)
            match = next((n for n in (tagged, base) if n in self.types
                          and fate_key(self.types[n]) == fate_key(measured)), None)
            if match is None:
                match = next(n for n in (tagged, base, f"{base}[{module}.{member}]")
                             if n not in self.types)
                self.types[match] = measured
            self.members[(module, member)] = ("Value", match)
        # Constructors.
        for jid, path in self.raw["classes"]:
            rec = self.ok(jid)
            if rec is None or self.local_type(rec):
                continue
            self.returns[path] = self.ensure(rec)
        # Calls.
        for jid, path in self.raw["calls"]:
            rec = self.ok(jid)
            if rec is None:
                self.warnings.append(f"call {path}: {self.records.get(jid)}")
                continue
            if self.local_type(rec):
                self.warnings.append(f"call {path}: returns a script type {rec['type']}")
                continue
            if path in self.returns and self.returns[path] != rec["type"]:
                self.warnings.append(
                    f"call {path}: {rec['type']} differs from the constructor's {self.returns[path]}")
            self.returns[path] = self.ensure(rec)
        # Methods.
        receivers = {jid: expr for expr, jid in self.raw["receivers"].items()}
        for jid, rid, name, curated in self.raw["methods"]:
            recv = self.ok(rid)
            rec = self.ok(jid)
            if recv is None:
                self.warnings.append(f"receiver {receivers[rid]!r}: {self.records.get(rid)}")
                continue
            if rec is None:
                if curated:
                    self.warnings.append(
                        f"method {receivers[rid]!r}.{name}: {self.records.get(jid)}")
                continue
            if self.local_type(rec) or self.local_type(recv):
                continue
            key = (self.ensure(recv), name)
            result = self.ensure(rec)
            if key in self.methods and self.methods[key] != result:
                if curated:
                    self.warnings.append(
                        f"method {key}: {result} differs from {self.methods[key]}; kept the first")
                continue
            self.methods.setdefault(key, result)

    def check_closed(self) -> None:
        mentioned = set(self.returns.values()) | {r for (t, _), r in self.methods.items()}
        mentioned |= {t for (t, _) in self.methods}
        mentioned |= {v for (k, v) in self.members.values() if v}
        missing = sorted(mentioned - set(self.types))
        if missing:
            raise SystemExit(f"types mentioned but not measured: {missing}")


# ----------------------------------------------------------------------------- rendering
def rust_str(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def rust_fate(f: list[str]) -> str:
    if f[0] == "Becomes":
        return f"Fate::Becomes({rust_str(f[1])})"
    return f"Fate::{f[0]}"


HEADER = """\
//! Generated by tests/oracle/value_table.py from the real serializers; do not edit.
//!
//! Measured with Python {python} on {platform} and pydantic {pydantic}: every entry comes from a real
//! value pushed through the real serializer (see the generator's docstring). Container
//! samples hold ints and str keys, so that a container's fate is its own. A bracket after
//! a type name marks a pseudo-entry whose fate depends on more than the type:
//! `builtins.float[nan]`, `builtins.dict[int-keys]`, `[script]` (defined in the user's
//! script, i.e. `__main__`), `[importable]` (defined in a module the sandbox can import,
//! as stdlib classes are), `[lambda]`, `[module.member]` (a constant whose own fates
//! differ from its type's entry), and so on. A pseudo-entry exists only where its fates
//! differ from the entry of its plain type name: look the pseudo name up first, then the
//! plain one. A container's fate is its own; its elements have theirs (cwsandbox's key
//! check also applies at any depth inside dicts, lists and tuples). Regenerate with
//! `python3 tests/oracle/value_table.py`; `--check` fails when this file is stale.
"""

DEFINITIONS = """\
/// What a serializer does with a value of one type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Arrives as the same type.
    Carried,
    /// Arrives silently as another type (the Python type name it arrives as, e.g. "list", "str", "dict", "int", "float", "NoneType").
    Becomes(&'static str),
    /// The client fails to serialize it (before any sandbox runs).
    Refused,
    /// Serialized, but the sandbox cannot load it back (pickle of an object it cannot import there).
    Unloadable,
}

#[derive(Debug)]
pub(crate) struct TypeFacts {
    /// Qualified name: "collections.deque", "datetime.date", "builtins.range", "argparse.Namespace".
    pub(crate) name: &'static str,
    /// `type(v).__name__`, as the serializers' messages name it: "deque", "date", "range".
    pub(crate) short: &'static str,
    /// aviato JSON mode: pydantic `TypeAdapter(dict[str, Any]).dump_json({"v": value})`, then `json.loads` as the sandbox does.
    pub(crate) pydantic: Fate,
    /// aviato PICKLE mode: `pickle.dumps` in one process, `pickle.loads` in a fresh interpreter whose __main__ is different.
    pub(crate) pickle: Fate,
    /// cwsandbox: the non-str-key check then stdlib `json.dumps` (NaN allowed), then `json.loads`.
    pub(crate) strict_json: Fate,
    /// Whether it is a callable (function, builtin, method, partial, itemgetter...): the SDK never skips it as a global unless its __module__ is builtins.
    pub(crate) callable: bool,
}

/// What a stdlib name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MemberKind {
    /// A module object.
    Module,
    /// A class (`isinstance(x, type)`).
    Class,
    /// Callable and not a class.
    Function,
    /// A constant: the name in TYPES of its type.
    Value(&'static str),
}
"""


def rust_tuple(parts: list[str]) -> str:
    """One array element as rustfmt lays it out (max_width 100, fn_call_width 60), so
    that `cargo fmt` leaves the file alone."""
    args = ", ".join(parts)
    line = f"    ({args}),"
    if len(args) <= 60 and len(line) <= 100:
        return line
    return "\n".join(["    ("] + [f"        {p}," for p in parts] + ["    ),"])


def render(table: Table) -> str:
    raw = table.raw
    lines = [HEADER.format(python=raw["python"], platform=raw["platform"], pydantic=raw["pydantic"]),
             DEFINITIONS]
    lines.append("/// Every value type, sorted by name.")
    lines.append("pub(crate) static TYPES: &[TypeFacts] = &[")
    for name in sorted(table.types):
        f = table.types[name]
        lines += [
            "    TypeFacts {",
            f"        name: {rust_str(name)},",
            f"        short: {rust_str(f['short'])},",
            f"        pydantic: {rust_fate(f['pydantic'])},",
            f"        pickle: {rust_fate(f['pickle'])},",
            f"        strict_json: {rust_fate(f['strict_json'])},",
            f"        callable: {str(f['callable']).lower()},",
            "    },",
        ]
    lines.append("];")
    lines.append("")
    lines.append("/// What a stdlib name is: (module, member, kind) for every public member of the listed modules.")
    lines.append("pub(crate) static MEMBERS: &[(&str, &str, MemberKind)] = &[")
    for (module, member) in sorted(table.members):
        kind, value = table.members[(module, member)]
        k = f"MemberKind::Value({rust_str(value)})" if kind == "Value" else f"MemberKind::{kind}"
        lines.append(rust_tuple([rust_str(module), rust_str(member), k]))
    lines.append("];")
    lines.append("")
    lines.append(
        "/// What calling a stdlib callable returns: (qualified callable name, qualified type name of the result). "
        "Classes map to their instance type unless the constructor returns another type (e.g. "
        "\"collections.namedtuple\" -> \"builtins.type\"); functions by calling them with sample arguments.")
    lines.append("pub(crate) static RETURNS: &[(&str, &str)] = &[")
    for path in sorted(table.returns):
        lines.append(rust_tuple([rust_str(path), rust_str(table.returns[path])]))
    lines.append("];")
    lines.append("")
    lines.append(
        "/// Methods: (qualified receiver type, method name, qualified result type), measured on sample receivers.")
    lines.append("pub(crate) static METHODS: &[(&str, &str, &str)] = &[")
    for (recv, name) in sorted(table.methods):
        lines.append(rust_tuple([rust_str(recv), rust_str(name), rust_str(table.methods[(recv, name)])]))
    lines.append("];")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- driving
def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import pydantic; print(pydantic.VERSION)"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0 or probe.stdout.strip() != PYDANTIC_VERSION:
        subprocess.run([str(python), "-m", "pip", "install", "-q", PYDANTIC], check=True)
    return python


def generate(verbose: bool, raw_path: str | None = None) -> tuple[str, Table]:
    python = ensure_venv(Path(os.environ.get("ORACLE_VENV", "/tmp/oracle-venv")))
    probe = subprocess.run(
        [str(python), "-c", "import json, site, sys; print(json.dumps([sys.version_info[:2], site.getsitepackages()]))"],
        capture_output=True, text=True, check=True)
    version, site_packages = json.loads(probe.stdout)
    if version != [3, 11]:
        print(f"warning: the venv's python is {version}, not 3.11", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="value-table-") as tmp:
        work = Path(tmp)
        for sub in ("cwd", "tmp", "helpers", "sandbox"):
            (work / sub).mkdir()
        (work / "helpers" / f"{HELPER_MODULE_NAME}.py").write_text(HELPER_MODULE)
        out = work / "measured.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update({"PYTHONHASHSEED": "0", "TMPDIR": str(work / "tmp"), "LC_ALL": "C.UTF-8"})
        proc = subprocess.run(
            [str(python), "-I", "-S", "-X", "utf8", str(Path(__file__).resolve()), "--measure",
             str(work), str(out), json.dumps(site_packages)],
            stdin=subprocess.DEVNULL, env=env, check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"measuring failed (exit {proc.returncode})")
        raw = json.loads(out.read_text())
    if raw_path:
        Path(raw_path).write_text(json.dumps(raw, indent=1, sort_keys=True))
    table = Table(raw)
    table.build()
    table.check_closed()
    if verbose:
        print(f"measured in {raw['timing']}", file=sys.stderr)
        print(f"pseudo-entries equal to their base, left out: {', '.join(sorted(table.pruned))}",
              file=sys.stderr)
    for w in table.warnings:
        print(f"warning: {w}", file=sys.stderr)
    text = render(table)
    rustfmt_check(text)
    return text, table


def rustfmt_check(text: str) -> None:
    """The file is laid out as rustfmt would; say so if rustfmt (when present) disagrees."""
    import re
    import shutil

    rustfmt = shutil.which("rustfmt")
    if rustfmt is None:
        return
    match = re.search(r'^edition\s*=\s*"(\d+)"', (REPO / "Cargo.toml").read_text(), re.MULTILINE)
    proc = subprocess.run([rustfmt, "--edition", match.group(1) if match else "2021"],
                          input=text, capture_output=True, text=True, check=False)
    if proc.returncode == 0 and proc.stdout != text:
        print("warning: rustfmt would reformat the generated file; update rust_tuple()",
              file=sys.stderr)


def main() -> int:
    if len(sys.argv) >= 2 and sys.argv[1] == "--measure":
        measure_main(Path(sys.argv[2]), Path(sys.argv[3]), json.loads(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="regenerate into memory and fail with a diff when the checked-in file differs")
    parser.add_argument("-v", "--verbose", action="store_true", help="print timings and counts")
    parser.add_argument("--raw", metavar="PATH", help="also write every raw measurement there (JSON)")
    args = parser.parse_args()
    started = time.monotonic()
    text, table = generate(args.verbose, args.raw)
    if args.verbose:
        print(f"{len(table.types)} types, {len(table.members)} members, {len(table.returns)} returns, "
              f"{len(table.methods)} methods in {time.monotonic() - started:.1f}s", file=sys.stderr)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current == text:
            print(f"{OUTPUT_REL} is up to date")
            return 0
        diff = difflib.unified_diff(current.splitlines(keepends=True), text.splitlines(keepends=True),
                                    fromfile=f"a/{OUTPUT_REL}", tofile=f"b/{OUTPUT_REL} (regenerated)")
        sys.stdout.writelines(diff)
        print(f"\n{OUTPUT_REL} is stale: run python3 tests/oracle/value_table.py", file=sys.stderr)
        return 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT_REL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
