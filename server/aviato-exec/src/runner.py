# The sandbox-side runner of aviato-lsp.
#
# It does, inside the sandbox, what the SDK does for one call of a
# `@session.function()`: the client's serialization of the captured variables and
# arguments, the sandbox script (`exec` of the function's source in a namespace of the
# captures, the call, the dump of the result) and the client's reading of the result.
# Two generations: aviato (pydantic's `dump_json` in JSON mode, `pickle` in PICKLE
# mode) and cwsandbox (`strict_json`: a check for non-str dict keys and stdlib
# `json.dumps` on the client, payload and result files under temp_dir).
#
# It then reports a structured result on file descriptor 3, never on stdout or stderr,
# which belong to the user's code. The report says what the SDK's sandbox script would
# have printed to stderr after the user's code (`sdk_stderr`: the `EXCEPTION:` line and
# the traceback, ...) and its exit status (`sdk_returncode`): the host parses the
# user's stderr followed by those lines as the SDK's client does.
#
# Input: one JSON object on stdin (see `RunnerInput` in runner.rs).
# Output: b"\n" + nonce + b"\n" + one JSON object + b"\n" on fd 3.
#
# Kept compatible with Python 3.8 and importing only what a run needs, so that the
# interpreter starts about as fast as a bare `python -c pass`.

import json
import os
import sys

RESULT_FD = 3
TEXT_LIMIT = 64 * 1024
VALUE_JSON_LIMIT = 1024 * 1024
FRAME_LIMIT = 100
# serde_json reads integers beyond 64 bits as floats; such values keep only their repr.
JSON_INT_RANGE = (-(2**63), 2**64 - 1)


class Refusal(Exception):
    """A value the SDK's client cannot serialize: FunctionSerializationError."""


class LiteralError(Exception):
    """Literal source handed over by the host that does not evaluate."""


def main():
    main_pid = os.getpid()
    # Output reaches the editor while the function runs: a line as it is printed,
    # not when a pipe's buffer fills.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(line_buffering=True)
        except (AttributeError, ValueError):
            pass
    request = json.loads(sys.stdin.buffer.read())
    nonce = request["nonce"].encode("ascii")
    os.set_inheritable(RESULT_FD, False)
    try:
        report = run(request, main_pid)
    except BaseException as error:
        leave_if_forked(main_pid, 1)
        report = {"outcome": "error", "message": "the sandbox runner failed: " + describe(error)}
    leave_if_forked(main_pid, 0)
    send(report, nonce)


def run(request, main_pid):
    mode = request["serialization"]
    sys.argv = ["-c"]
    if request.get("file_run"):
        return run_file(request, main_pid)

    # The sandbox's environment variables (`environment_variables=`).
    for key, value in request.get("environment") or ():
        os.environ[key] = value
    map_item = request.get("map_item")
    extra = {}
    try:
        names = LiteralNames()
        captures = [(name, evaluate(source, names, "captured variable %r" % name))
                    for name, source in request["captures"]]
        if map_item is None:
            args, kwargs = evaluate_arguments(request["args_source"], names)
        else:
            items = list(evaluate(request["args_source"], names, "the items of .map"))
            extra["map_items"] = len(items)
            if map_item >= len(items):
                return dict(extra, outcome="error", message="`.map` has %d items, not %d"
                            % (len(items), map_item + 1))
            item = items[map_item]
            try:
                args, kwargs = tuple(item), {}
            except TypeError:
                # `[self.remote(*item) for item in items]` in `.map` itself.
                error = TypeError("cwsandbox._function.RemoteFunction.remote() argument after "
                                  "* must be an iterable, not %s" % type(item).__name__)
                return dict(extra, **client_refusal(error, ("item %d of .map" % (map_item + 1),
                                                            "AV406")))
    except LiteralError as error:
        return dict(extra, outcome="error", message=str(error))
    # A value the file draws from a seeded `random` reseeds it here: the sandbox's
    # `random` starts afresh, as in a new interpreter.
    if "random" in sys.modules:
        sys.modules["random"].seed()

    if mode == "strict_json":
        report = run_strict(request, main_pid, captures, args, kwargs)
    else:
        report = run_aviato(request, main_pid, captures, args, kwargs)
    report.update(extra)
    return report


def run_aviato(request, main_pid, captures, args, kwargs):
    function_name = request["function_name"]
    file_name = request["file_name"]
    mode = request["serialization"]
    try:
        if mode == "json":
            captures, args, kwargs = json_transport(captures, args, kwargs)
        else:
            captures, args, kwargs = pickle_transport(captures, args, kwargs)
    except Refusal as refusal:
        what, code, detail = refusal.args
        return {
            "outcome": "refused",
            "code": code,
            "exception_type": "FunctionSerializationError",
            "exception_message": "Cannot serialize function '%s' using %s mode: %s"
            % (function_name, mode.upper(), detail),
            "message": "%s cannot be serialized in %s mode: %s (the SDK raises "
            "FunctionSerializationError at the call, before any sandbox starts)"
            % (what, mode.upper(), detail),
        }
    except BaseException as error:
        return raised(error, file_name, "raised while loading the payload in the sandbox",
                      uncaught(error))

    try:
        os.makedirs(request["temp_dir"], exist_ok=True)
    except BaseException as error:
        return raised(error, file_name, "raised while creating temp_dir, as the SDK's "
                      "sandbox script does", uncaught(error))

    namespace = dict(captures)
    try:
        code = compile(dedent(request["source"]), file_name, "exec", dont_inherit=True)
        exec(code, namespace)
    except BaseException as error:
        return raised(error, file_name, "raised while defining the function in the sandbox",
                      uncaught(error))
    try:
        function = namespace[function_name]
    except KeyError as error:
        return raised(error, file_name, "raised while looking up the function, as the SDK's "
                      "sandbox script does", uncaught(error))

    try:
        value = function(*args, **kwargs)
    except BaseException as error:
        leave_if_forked(main_pid, 1)
        flush_standard_streams()
        return raised(error, file_name, None, caught(error))
    leave_if_forked(main_pid, 0)
    flush_standard_streams()

    try:
        if mode == "json":
            value = json_result(value)
        else:
            value = pickle_result(value)
    except BaseException as error:
        # The aviato script dumps the result inside its `try`.
        return raised(error, file_name, "raised while serializing the return value with %s, "
                      "as the SDK's sandbox script does" % (
                          "json.dump" if mode == "json" else "pickle.dump"), caught(error))
    return ok(value)


# --- cwsandbox: strict JSON, payload and result files -------------------------------


def run_strict(request, main_pid, captures, args, kwargs):
    """The current SDK (cwsandbox): `_create_function_payload` on the client, then its
    `_FUNCTION_EXECUTION_TEMPLATE` in the sandbox, then `json.loads` of the result."""
    function_name = request["function_name"]
    file_name = request["file_name"]
    temp_dir = request["temp_dir"]

    # The client. Globals then closures, merged into one dict.
    closure_vars = dict(captures)
    try:
        check_string_keys(closure_vars, "closure_vars")
        check_string_keys(list(args), "args")
        check_string_keys(kwargs, "kwargs")
    except TypeError as error:
        return client_refusal(error, strict_culprit(error, captures, args, kwargs))
    payload = {
        "source": request["source"],
        "name": function_name,
        "closure_vars": closure_vars,
        "args": list(args),
        "kwargs": kwargs,
    }
    try:
        text = json.dumps(payload)
    except TypeError as error:
        wrapped = TypeError("Function arguments are not JSON-serializable: %s" % safe_str(error))
        return client_refusal(wrapped, strict_culprit(error, captures, args, kwargs))
    except Exception as error:
        # A circular value (ValueError), a value too deep (RecursionError): the SDK
        # does not wrap these.
        return client_refusal(error, strict_culprit(error, captures, args, kwargs))

    # The service's WriteFile, which creates the parent directories.
    unique = os.urandom(16).hex()
    payload_file = "%s/sandbox_payload_%s.json" % (temp_dir, unique)
    result_file = "%s/sandbox_result_%s.json" % (temp_dir, unique)
    try:
        parent = os.path.dirname(payload_file)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(payload_file, "w") as stream:
            stream.write(text)
    except BaseException as error:
        return {"outcome": "error", "message": "cannot write the payload file %s in the "
                "sandbox: %s" % (payload_file, describe(error))}

    # The sandbox script. Everything up to the call runs outside its `try`.
    try:
        os.makedirs(temp_dir, exist_ok=True)
        with open(payload_file, "rb") as stream:
            payload = json.load(stream)
        closure_vars = payload["closure_vars"]
        args = payload["args"]
        kwargs = payload["kwargs"]
    except BaseException as error:
        return raised(error, file_name, "raised while loading the payload in the sandbox",
                      uncaught(error))
    namespace = closure_vars.copy()
    try:
        code = compile(dedent(request["source"]), file_name, "exec", dont_inherit=True)
        exec(code, namespace)
    except BaseException as error:
        return raised(error, file_name, "raised while defining the function in the sandbox, "
                      "outside the SDK's try: it prints a plain traceback", uncaught(error))
    try:
        function = namespace[function_name]
    except BaseException as error:
        return raised(error, file_name, "raised while looking up the function, as the SDK's "
                      "sandbox script does", uncaught(error))

    try:
        value = function(*args, **kwargs)
    except BaseException as error:
        leave_if_forked(main_pid, 1)
        flush_standard_streams()
        return raised(error, file_name, None, caught(error))
    leave_if_forked(main_pid, 0)
    flush_standard_streams()

    try:
        with open(result_file, "w") as stream:
            json.dump(value, stream)
    except (TypeError, ValueError) as error:
        marker = "RESULT_SERIALIZATION_ERROR:%s:%s\n" % (type(error).__name__, safe_str(error))
        return raised(error, file_name, "raised while writing the return value with "
                      "json.dump, as the SDK's sandbox script does", (1, marker))
    except BaseException as error:
        return raised(error, file_name, "raised while writing the return value with "
                      "json.dump, as the SDK's sandbox script does", uncaught(error))

    # The client reads the result file and `json.loads` it: keys come back as strings.
    try:
        with open(result_file, "rb") as stream:
            value = json.loads(stream.read())
    except BaseException as error:
        return raised(error, file_name, "raised while reading the result file, as the "
                      "SDK's client does", None)
    return ok(value)


def check_string_keys(value, path):
    """`_validate_json_string_keys` of the SDK's client."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    "Function payload contains a dict with non-string keys: "
                    "%s (key %r has type %s)" % (path, key, type(key).__name__))
            check_string_keys(item, "%s[%r]" % (path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_string_keys(item, "%s[%d]" % (path, index))


def strict_culprit(error, captures, args, kwargs):
    """(what, rule code) of the first value the strict client refuses."""
    origins = [("captured variable %r" % name, "AV301", value) for name, value in captures]
    origins += [("argument %d" % (index + 1), None, value) for index, value in enumerate(args)]
    origins += [("keyword argument %r" % key, None, value) for key, value in kwargs.items()]
    keys = "non-string keys" in safe_str(error)
    for what, code, value in origins:
        try:
            if keys:
                check_string_keys(value, "")
            else:
                json.dumps(value)
        except Exception:
            return what, ("AV306" if keys else code)
    return "the payload", None


def client_refusal(error, culprit):
    what, code = culprit
    kind = type_name(type(error))
    message = safe_str(error)
    return {
        "outcome": "refused",
        "code": code,
        "exception_type": kind,
        "exception_message": clip(message),
        "message": "%s cannot be sent: the SDK's client raises %s: %s, before any "
        "sandbox exists" % (what, kind, message),
    }


# --- What the SDK's sandbox script prints --------------------------------------------


def caught(error):
    """Exit status and stderr of the SDK's script for an exception raised by the call:
    `except Exception` prints `EXCEPTION:` and the traceback; anything else escapes."""
    if not isinstance(error, Exception):
        return uncaught(error)
    return 1, "EXCEPTION:" + safe_str(error) + "\n" + format_traceback(error)


def uncaught(error):
    """Exit status and stderr of the SDK's script when `error` escapes it, as the
    interpreter ends: `SystemExit` exits with its code, anything else prints the
    traceback."""
    if isinstance(error, SystemExit):
        code = error.code
        if code is None:
            return 0, ""
        if isinstance(code, int):
            return code & 0xFF, ""
        return 1, safe_str(code) + "\n"
    status = 130 if isinstance(error, KeyboardInterrupt) else 1
    return status, format_traceback(error, uncaught=True)


def format_traceback(error, uncaught=False):
    """The traceback without the runner's frames, as `traceback.print_exc` prints it
    or, for an exception that ends the interpreter, as its default hook does (up to
    3.11, only the hook adds `Did you mean: ...?` to a NameError or AttributeError)."""
    trace = error.__traceback__
    while trace is not None and trace.tb_frame.f_globals is globals():
        trace = trace.tb_next
    try:
        if uncaught:
            import io

            buffer = io.StringIO()
            saved = sys.stderr
            sys.stderr = buffer
            try:
                sys.__excepthook__(type(error), error, trace)
            finally:
                sys.stderr = saved
            return buffer.getvalue()
        import traceback

        return "".join(traceback.format_exception(type(error), error, trace))
    except BaseException as failure:
        return "%s: %s\n(the traceback could not be formatted: %s)\n" % (
            type_name(type(error)), safe_str(error), describe(failure))


# --- Literal source ---------------------------------------------------------------


class DatetimeName:
    """`datetime` in literal source: both the class, as in `datetime(2024, 1, 2)`, and
    the module, as `repr` writes it: `datetime.datetime(2024, 1, 2)`."""

    def __init__(self, module):
        self._module = module

    def __call__(self, *args, **kwargs):
        return self._module.datetime(*args, **kwargs)

    def __getattr__(self, name):
        if hasattr(self._module, name):
            return getattr(self._module, name)
        return getattr(self._module.datetime, name)


# Names literal source may use beyond Python's literal syntax, imported on first use.
LITERAL_NAMES = {
    "date": ("datetime", "date"),
    "time": ("datetime", "time"),
    "timedelta": ("datetime", "timedelta"),
    "timezone": ("datetime", "timezone"),
    "Decimal": ("decimal", "Decimal"),
    "Fraction": ("fractions", "Fraction"),
    "UUID": ("uuid", "UUID"),
    "Path": ("pathlib", "Path"),
    "PosixPath": ("pathlib", "PosixPath"),
    "PurePath": ("pathlib", "PurePath"),
    "PurePosixPath": ("pathlib", "PurePosixPath"),
    "OrderedDict": ("collections", "OrderedDict"),
    "defaultdict": ("collections", "defaultdict"),
    "deque": ("collections", "deque"),
    "Counter": ("collections", "Counter"),
    "namedtuple": ("collections", "namedtuple"),
    "Enum": ("enum", "Enum"),
    "IntEnum": ("enum", "IntEnum"),
    "StrEnum": ("enum", "StrEnum"),
    "Flag": ("enum", "Flag"),
    "IntFlag": ("enum", "IntFlag"),
    "make_dataclass": ("dataclasses", "make_dataclass"),
    "decimal": ("decimal", None),
    "fractions": ("fractions", None),
    "uuid": ("uuid", None),
    "pathlib": ("pathlib", None),
    "collections": ("collections", None),
}
# Builtins that would let literal source reach beyond its own value.
UNSAFE_BUILTINS = ("open", "exec", "eval", "compile", "input", "breakpoint", "exit", "quit",
                   "globals", "locals", "vars", "help", "print", "__import__", "setattr",
                   "delattr", "memoryview", "id", "hash")


# Classes that literal source builds stand for classes of the user's script: the
# SDK's client pickles their instances by reference to its `__main__`, where the
# sandbox cannot find them.
SCRIPT_CLASS_FACTORIES = ("namedtuple", "Enum", "IntEnum", "StrEnum", "Flag", "IntFlag",
                          "make_dataclass")
SCRIPT_CLASSES = []


def script_class_factory(factory, takes_module):
    def build(*args, **kwargs):
        if takes_module:
            kwargs.setdefault("module", "__main__")
        cls = factory(*args, **kwargs)
        cls.__module__ = "__main__"
        SCRIPT_CLASSES.append(cls)
        return cls

    return build


def script_object(name):
    """A stand-in for an instance of the script's class `name`: no serializer carries
    one (JSON refuses it; PICKLE pickles it by reference to the client's `__main__`,
    where the sandbox cannot find it), whatever its attributes."""
    cls = type(name, (), {})
    cls.__module__ = "__main__"
    cls.__qualname__ = name
    SCRIPT_CLASSES.append(cls)
    return cls()


def script_function(name, implementation=None):
    """A stand-in for the script's module-level function `name`, likewise; it calls
    `implementation`, the function's body when it is one static expression."""
    def stand_in(*args, **kwargs):
        if implementation is None:
            raise RuntimeError("the script's function %r is not static: it cannot be called "
                               "while the value is built" % name)
        return implementation(*args, **kwargs)

    stand_in.__name__ = stand_in.__qualname__ = name
    stand_in.__module__ = "__main__"
    SCRIPT_CLASSES.append(stand_in)
    return stand_in


class LiteralNames(dict):
    def __missing__(self, name):
        import importlib

        if name == "datetime":
            value = DatetimeName(importlib.import_module("datetime"))
        elif name == "script_object":
            value = script_object
        elif name == "script_function":
            value = script_function
        elif name in ("nan", "inf"):
            value = float(name)
        elif name in LITERAL_NAMES:
            module_name, attribute = LITERAL_NAMES[name]
            value = importlib.import_module(module_name)
            if attribute is not None:
                value = getattr(value, attribute)
            if name in SCRIPT_CLASS_FACTORIES:
                value = script_class_factory(value, name != "make_dataclass")
        elif name in getattr(sys, "stdlib_module_names", ()):
            # A stdlib module, for references such as `math.sqrt` sent under PICKLE.
            value = importlib.import_module(name)
        elif name not in UNSAFE_BUILTINS and hasattr(importlib.import_module("builtins"), name):
            value = getattr(importlib.import_module("builtins"), name)
        else:
            raise NameError("name %r is not defined" % name)
        self[name] = value
        return value


def evaluate(source, names, what):
    # The names are resolved up front into the globals: comprehensions and lambdas
    # read them as globals, which a mapping of locals would not provide.
    try:
        code = compile(source, "<literal>", "eval", dont_inherit=True)
        scope = {"__builtins__": {}}
        for name in code_names(code):
            if not read_as_name(source, name):
                continue
            try:
                scope[name] = names[name]
            except NameError:
                pass
        return eval(code, scope)
    except BaseException as error:
        raise LiteralError("%s: cannot evaluate %r: %s" % (what, source, describe(error)))


def read_as_name(source, name):
    """Whether `name` occurs in `source` other than as an attribute (`x.name`): only
    names are resolved, so that an attribute never imports a module of its name."""
    start = 0
    while True:
        index = source.find(name, start)
        if index < 0:
            return False
        end = index + len(name)
        whole = (index == 0 or not is_name_char(source[index - 1])) and (
            end == len(source) or not is_name_char(source[end]))
        if whole and not source[:index].rstrip().endswith("."):
            return True
        start = index + 1


def is_name_char(char):
    return char.isalnum() or char == "_"


def code_names(code):
    names = set(code.co_names)
    for constant in code.co_consts:
        if hasattr(constant, "co_names"):
            names |= code_names(constant)
    return names


def evaluate_arguments(source, names):
    names["_aviato_arguments_"] = lambda *args, **kwargs: (args, kwargs)
    try:
        return evaluate("_aviato_arguments_(%s\n)" % source, names, "arguments")
    finally:
        del names["_aviato_arguments_"]


# --- JSON mode: pydantic's dump_json on the client, json.load in the sandbox ------------


def json_transport(captures, args, kwargs):
    sent = []
    for name, value in captures:
        sent.append((name, convert_json(value, ("captured variable %r" % name, "AV301"))))
    sent_args = [convert_json(value, ("argument %d" % (index + 1), None))
                 for index, value in enumerate(args)]
    sent_kwargs = {key: convert_json(value, ("keyword argument %r" % key, None))
                   for key, value in kwargs.items()}
    return sent, sent_args, sent_kwargs


def loaded_class(module, name):
    # A value of a type from a module that was never imported cannot exist, so the
    # checks below never import anything.
    module = sys.modules.get(module)
    return getattr(module, name, None) if module is not None else None


def is_instance(value, module, name):
    cls = loaded_class(module, name)
    return cls is not None and isinstance(value, cls)


def convert_json(value, origin):
    """The value as pydantic's `TypeAdapter(dict[str, Any]).dump_json` writes it,
    read back by `json.load`: the conversions the SDK applies silently in JSON mode."""
    if value is None or isinstance(value, bool):
        return value
    if is_instance(value, "enum", "Enum"):
        return convert_json(value.value, origin)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if value - value == 0 else None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as error:
            if error.reason == "unexpected end of data":
                detail = "incomplete utf-8 byte sequence from index %d" % error.start
            else:
                detail = "invalid utf-8 sequence of %d bytes from index %d" % (
                    error.end - error.start, error.start)
            raise Refusal(origin[0], origin[1], "Error serializing to JSON: " + detail)
    if isinstance(value, dict):
        converted = {}
        for key, item in value.items():
            converted[json_key(key, origin)] = convert_json(item, origin)
        return converted
    # pydantic writes any iterator as a list: a generator, `zip(...)`, a file, a
    # `StringIO` (its lines).
    if isinstance(value, (list, tuple, set, frozenset)) or (
            hasattr(type(value), "__next__") and hasattr(type(value), "__iter__")):
        return [convert_json(item, origin) for item in value]
    if is_dataclass_instance(value):
        import dataclasses

        return {field.name: convert_json(getattr(value, field.name), origin)
                for field in dataclasses.fields(value)}
    text = json_text(value)
    if text is not None:
        return text
    raise Refusal(origin[0], origin[1], "Unable to serialize unknown type: %r" % type(value))


def is_dataclass_instance(value):
    return hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type)


def json_text(value):
    """The string pydantic writes for the scalar types it turns into strings."""
    if is_instance(value, "datetime", "datetime"):
        return value.replace(tzinfo=None).isoformat() + utc_offset(value)
    if is_instance(value, "datetime", "date"):
        return value.isoformat()
    if is_instance(value, "datetime", "time"):
        return value.replace(tzinfo=None).isoformat() + utc_offset(value)
    if is_instance(value, "datetime", "timedelta"):
        return iso_duration(value)
    if is_instance(value, "decimal", "Decimal") or is_instance(value, "uuid", "UUID"):
        return str(value)
    if is_instance(value, "pathlib", "Path"):
        return str(value)
    if isinstance(value, complex):
        return complex_text(value)
    if is_instance(value, "re", "Pattern"):
        return value.pattern
    for name in ("IPv4Address", "IPv6Address", "IPv4Network", "IPv6Network",
                 "IPv4Interface", "IPv6Interface"):
        if is_instance(value, "ipaddress", name):
            return str(value)
    return None


def utc_offset(value):
    offset = value.utcoffset()
    if offset is None:
        return ""
    # pydantic writes whole minutes, truncated, and "Z" for a zero offset.
    seconds = offset.days * 86400 + offset.seconds
    if seconds == 0 and offset.microseconds == 0:
        return "Z"
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return "%s%02d:%02d" % (sign, minutes // 60, minutes % 60)


def iso_duration(value):
    negative = value.days < 0
    if negative:
        value = -value
    years, days = divmod(value.days, 365)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "P"
    if years:
        text += "%dY" % years
    if days:
        text += "%dD" % days
    if hours or minutes or seconds or value.microseconds:
        text += "T"
        if hours:
            text += "%dH" % hours
        if minutes:
            text += "%dM" % minutes
        if seconds or value.microseconds:
            text += "%d" % seconds
            if value.microseconds:
                text += "." + ("%06d" % value.microseconds).rstrip("0")
            text += "S"
    if text == "P":
        text = "PT0S"
    return ("-" if negative else "") + text


def rust_float(value):
    # Rust's Display for f64: positional, no exponent, no trailing ".0".
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    import decimal

    text = format(decimal.Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def complex_text(value):
    imaginary = rust_float(value.imag) + "j"
    if value.real == 0:
        return imaginary
    sign = "" if imaginary.startswith("-") else "+"
    return rust_float(value.real) + sign + imaginary


def json_key(key, origin):
    if key is None:
        return "None"
    if isinstance(key, bool):
        return "true" if key else "false"
    if is_instance(key, "enum", "Enum"):
        return json_key(key.value, origin)
    if isinstance(key, str):
        return str(key)
    if isinstance(key, int):
        return str(int(key))
    if isinstance(key, float):
        return repr(float(key)) if key - key == 0 else "None"
    if isinstance(key, tuple):
        return ",".join(json_key(item, origin) for item in key)
    if isinstance(key, (bytes, bytearray)):
        try:
            return bytes(key).decode("utf-8")
        except UnicodeDecodeError as error:
            error.reason = "invalid utf-8"
            raise Refusal(origin[0], origin[1],
                          "Error serializing to JSON: UnicodeDecodeError: " + str(error))
    text = json_text(key)
    if text is not None:
        return text
    raise Refusal(origin[0], origin[1], "Error serializing to JSON: TypeError: `%s` not "
                  "valid as object key" % type(key).__name__)


def json_result(value):
    import io

    # The sandbox script's json.dump (the pure-Python encoder, as a file target
    # selects), then the client's json.loads.
    buffer = io.StringIO()
    json.dump(value, buffer)
    return json.loads(buffer.getvalue())


# --- PICKLE mode: pickle.dumps on the client, pickle.load in the sandbox ----------------


def pickle_transport(captures, args, kwargs):
    import pickle

    payload = {"closure_vars": dict(captures), "args": tuple(args), "kwargs": kwargs}
    with ClassesInMain():
        try:
            data = pickle.dumps(payload)
        except Exception as error:
            raise pickle_refusal(captures, args, kwargs, error)
    # As in the SDK's sandbox: `AttributeError: Can't get attribute 'Point' on <module
    # '__main__' (built-in)>` for the script's classes.
    with SandboxMain():
        payload = pickle.loads(data)
    return list(payload["closure_vars"].items()), payload["args"], payload["kwargs"]


class ClassesInMain:
    """The script's classes in `__main__` while the client's side pickles."""

    def __enter__(self):
        main = sys.modules["__main__"]
        # What each name held before; a name may stand for several built classes.
        self.saved = {}
        for cls in SCRIPT_CLASSES:
            self.saved.setdefault(cls.__qualname__, main.__dict__.get(cls.__qualname__, self))
            setattr(main, cls.__qualname__, cls)

    def __exit__(self, *exc_info):
        main = sys.modules["__main__"]
        for name, value in self.saved.items():
            if value is self:
                main.__dict__.pop(name, None)
            else:
                setattr(main, name, value)


def pickle_refusal(captures, args, kwargs, error):
    import pickle

    origins = [("captured variable %r" % name, "AV301", value) for name, value in captures]
    origins += [("argument %d" % (index + 1), None, value) for index, value in enumerate(args)]
    origins += [("keyword argument %r" % key, None, value) for key, value in kwargs.items()]
    for what, code, value in origins:
        try:
            pickle.dumps(value)
        except Exception as culprit:
            return Refusal(what, code, describe(culprit))
    return Refusal("the payload", None, describe(error))


def pickle_result(value):
    import pickle

    return pickle.loads(pickle.dumps(value))


# --- Reports -------------------------------------------------------------------------


def ok(value):
    CLIENT_VALUE[:] = [value]
    report = {"outcome": "ok", "value_type": type_name(type(value)), "value_repr": safe_repr(value),
              "sdk_returncode": 0}
    if is_plain_json(value, 0):
        text = json.dumps(value)
        if len(text) <= VALUE_JSON_LIMIT:
            report["value_json"] = value
        else:
            report["note"] = "value_json is omitted: the value's JSON is larger than 1 MiB"
    return report


def raised(error, file_name, context, sdk):
    """An exception escaped; `sdk` is the SDK script's (exit status, stderr) for it, or
    None when the SDK would not get that far."""
    notes = [context] if context else []
    name = type_name(type(error))
    if isinstance(error, SystemExit):
        notes.append(system_exit_note(error))
    elif not isinstance(error, Exception):
        notes.append("%s is not an Exception: the SDK's sandbox script does not catch it"
                     % type(error).__name__)
    frames = user_frames(error, file_name)
    if len(frames) > FRAME_LIMIT:
        notes.append("%d outer frames omitted" % (len(frames) - FRAME_LIMIT))
        frames = frames[-FRAME_LIMIT:]
    report = {
        "outcome": "raised",
        "exception_type": name,
        "exception_message": clip(safe_str(error)),
        "traceback": frames,
    }
    if sdk is not None:
        report["sdk_returncode"] = sdk[0]
        report["sdk_stderr"] = clip(sdk[1])
    if notes:
        report["note"] = "; ".join(notes)
    return report


def system_exit_note(error):
    code = error.code
    if code is None or code == 0:
        return ("the SDK's sandbox script does not catch SystemExit; with exit status 0 "
                "the SDK then fails to read the result file (SandboxFileError)")
    status = code & 0xFF if isinstance(code, int) else 1
    return ("the SDK's sandbox script does not catch SystemExit; the SDK reports exit "
            "status %d as SandboxExecutionError" % status)


def user_frames(error, file_name):
    frames = []
    if isinstance(error, SyntaxError) and error.filename == file_name and error.lineno:
        frames.append({"file": file_name, "line": error.lineno, "function": "<module>"})
    trace = error.__traceback__
    while trace is not None:
        code = trace.tb_frame.f_code
        if code.co_filename == file_name and trace.tb_lineno is not None:
            frames.append({"file": file_name, "line": trace.tb_lineno, "function": code.co_name})
        trace = trace.tb_next
    return frames


def type_name(cls):
    # As the traceback module prints it, which is what the SDK's client parses, but a
    # class defined inside the function is called by its name, not `f.<locals>.Boom`.
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", cls.__name__)
    if "<locals>" in name:
        name = cls.__name__
    return name if module in (None, "builtins", "__main__") else module + "." + name


def is_plain_json(value, depth):
    if depth > 100:
        return False
    kind = type(value)
    if value is None or kind is bool or kind is str and is_clean_text(value):
        return True
    if kind is int:
        return JSON_INT_RANGE[0] <= value <= JSON_INT_RANGE[1]
    if kind is float:
        return value - value == 0
    if kind is list:
        return all(is_plain_json(item, depth + 1) for item in value)
    if kind is dict:
        return all(type(key) is str and is_clean_text(key) and is_plain_json(item, depth + 1)
                   for key, item in value.items())
    return False


def is_clean_text(text):
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def safe_repr(value):
    try:
        return clip(repr(value))
    except BaseException as error:
        return "<repr failed: %s>" % describe(error)


def safe_str(error):
    try:
        return str(error)
    except BaseException:
        return "<str failed>"


def describe(error):
    return "%s: %s" % (type_name(type(error)), safe_str(error))


def clip(text):
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT] + "... [%d characters omitted]" % (len(text) - TEXT_LIMIT)
    # Lone surrogates cannot travel as UTF-8.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def dedent(source):
    first = next((line for line in source.splitlines() if line.strip()), "")
    if first[:1] in (" ", "\t"):
        import textwrap

        return textwrap.dedent(source)
    return source


def flush_standard_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def leave_if_forked(main_pid, status):
    # A process the user's code forked returns through the runner as well: it leaves
    # quietly, so that only the sandbox's main process reports.
    if os.getpid() != main_pid:
        flush_standard_streams()
        os._exit(status)


def send(report, nonce):
    for key in ("message", "note"):
        if key in report:
            report[key] = clip(report[key])
    report["python_version"] = "%d.%d.%d" % sys.version_info[:3]
    data = b"\n" + nonce + b"\n" + json.dumps(report).encode("utf-8") + b"\n"
    while data:
        written = os.write(RESULT_FD, data)
        data = data[written:]
    os.close(RESULT_FD)


# --- Running the file up to the call ------------------------------------------------
#
# When a call's arguments are known only by running the file, the file itself runs
# here, with stand-ins for the SDK's module: each earlier sandbox call runs in this
# process as `run_aviato`/`run_strict` do, with the values the file computed, and
# gives the file what the SDK's client would (its value, or the SDK's exception).
# The requested call is the run: its report is sent and the process ends. Output
# before it is discarded.

# The value the client got from the last call that returned one.
CLIENT_VALUE = []
# Who is running while the file runs: "client" (the file's own code) or the number
# of a sandbox call; each is a machine of its own, with files of its own.
SIDE = ["client"]
# The files each side wrote, by absolute path.
WRITTEN_BY = {}


def keep_files_apart(event, args):
    """Audit hook: a file one side wrote is not there for another (a sandbox does not
    see the client's files, nor those of an earlier sandbox)."""
    if event != "open" or not isinstance(args[0], (str, bytes)):
        return
    path = os.path.abspath(os.fsdecode(args[0]))
    mode, flags = args[1], args[2] or 0
    writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
        flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
    side = SIDE[0]
    if writing:
        WRITTEN_BY.setdefault(path, set()).add(side)
    elif side not in WRITTEN_BY.get(path, (side,)):
        import errno

        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
# The requested call runs at most this many times when the file makes it again.
TARGET_CALL_LIMIT = 16
# The runner's own `__main__` while the file runs as `__main__`.
RUNNER_MAIN = []


class SandboxMain:
    """The sandbox's `__main__` (not the file's) while the sandbox's side unpickles."""

    def __enter__(self):
        self.saved = sys.modules["__main__"]
        if RUNNER_MAIN:
            sys.modules["__main__"] = RUNNER_MAIN[0]

    def __exit__(self, *exc_info):
        sys.modules["__main__"] = self.saved


class Discard:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


def run_file(request, main_pid):
    import types

    program = request["file_run"]
    file_name = request["file_name"]
    first_line, last_line = program["call_lines"]
    target = program["functions"][program["target"]]
    module = types.ModuleType("__main__")
    module.__file__ = file_name
    RUNNER_MAIN[:] = [sys.modules["__main__"]]
    sys.modules["__main__"] = module
    streams = (sys.stdout, sys.stderr)

    # A sandbox starts afresh: what the file changed in the process (its environment,
    # its working directory) is not the sandbox's.
    sandbox_environment = dict(os.environ)
    sandbox_directory = os.getcwd()
    calls_made = [0]
    sys.addaudithook(keep_files_apart)

    def run_call(entry, args, kwargs, live):
        """The report of the call of `entry` as the SDK makes it."""
        call = dict(request, function_name=entry["name"], source=entry["source"],
                    serialization=entry["serialization"], temp_dir=entry["temp_dir"])
        file_environment = dict(os.environ)
        file_directory = os.getcwd()
        os.environ.clear()
        os.environ.update(sandbox_environment)
        os.environ.update(entry["environment"])
        os.chdir(sandbox_directory)
        if "random" in sys.modules:
            sys.modules["random"].seed()
        CLIENT_VALUE[:] = []
        calls_made[0] += 1
        SIDE[0] = calls_made[0]
        try:
            if entry["serialization"] == "strict_json":
                return run_strict(call, main_pid, live, args, kwargs)
            return run_aviato(call, main_pid, live, args, kwargs)
        finally:
            SIDE[0] = "client"
            os.environ.clear()
            os.environ.update(file_environment)
            try:
                os.chdir(file_directory)
            except OSError:
                pass

    def called(entry, function, args, kwargs):
        """Makes the call of `entry`, which the file makes now: for the requested one,
        the run, which ends the process; for another, returns a function that gives
        what the SDK's client gives the file."""
        caller = sys._getframe(1)
        while caller is not None and caller.f_code.co_filename != file_name:
            caller = caller.f_back
        line = caller.f_lineno if caller is not None else 0
        is_target = (entry["name"], entry["first_line"]) == (target["name"], target["first_line"])
        if is_target and first_line <= line <= last_line:
            saved = sys.stdout, sys.stderr
            sys.stdout, sys.stderr = streams
            try:
                if "refusal" in entry:
                    raise entry["refusal"]
                live = sdk_captures(function)
            except (ValueError, AttributeError) as error:
                report = client_refusal(error, ("the call", None))
            else:
                report = run_call(entry, args, kwargs, live)
            flush_standard_streams()
            sys.stdout, sys.stderr = saved
            # A call made again (in a loop) runs until one returns no value, as the
            # items of `.map` do here.
            returned.append(report)
            if report["outcome"] != "ok" or len(returned) >= TARGET_CALL_LIMIT:
                finish(returned)
            value = CLIENT_VALUE[:]
            return lambda: value[0]
        return lambda: call_before(entry, function, args, kwargs)

    def finish(reports):
        report = reports[-1] if reports[-1]["outcome"] != "ok" else reports[0]
        if len(reports) > 1:
            report["note"] = "; ".join(filter(None, [report.get("note"), (
                "call %d of the ones the file made at line %d; the ones before it returned a "
                "value" % (len(reports), first_line)) if report is reports[-1] else (
                "every one of the %d calls the file made at line %d returned a value; this "
                "is the first one's" % (len(reports), first_line))]))
        flush_standard_streams()
        send(report, request["nonce"].encode("ascii"))
        os._exit(0)

    def call_before(entry, function, args, kwargs):
        if "refusal" in entry:
            raise entry["refusal"]
        live = sdk_captures(function)
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = Discard()
        try:
            report = run_call(entry, args, kwargs, live)
        finally:
            sys.stdout, sys.stderr = saved
        return client_side(report, entry)

    returned = []
    stand_ins = sdk_stand_ins(program["functions"], called)
    sys.modules.update(stand_ins)
    sys.stdout = sys.stderr = Discard()
    ended = "it ended"
    try:
        code = compile(program["source"], file_name, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except SystemExit as error:
        ended = "it exited (%s)" % safe_str(error.code)
    except BaseException as error:
        ended = "it raised %s" % describe(error)
    finally:
        sys.stdout, sys.stderr = streams
    if returned:
        finish(returned)
    return {"outcome": "error", "message": "running the file did not reach the call at line "
            "%d: %s first" % (first_line, ended)}


def unwrapped(function):
    """The function under its decorators, as the SDK follows `__wrapped__`."""
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function


def sdk_captures(function):
    """What the SDK sends with a call of `function`, looked up as its client does: the
    globals the bytecode of the unwrapped function names, but modules, classes and
    builtins, then its closure cells (an empty one raises `ValueError: Cell is
    empty`)."""
    import dis
    import types

    function = unwrapped(function)
    names = []

    def scan(code):
        for instruction in dis.get_instructions(code):
            if instruction.opname in ("LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL") \
                    and instruction.argval not in names:
                names.append(instruction.argval)
        for constant in code.co_consts:
            if isinstance(constant, types.CodeType):
                scan(constant)

    scan(function.__code__)
    values = []
    for name in names:
        if name not in function.__globals__:
            continue
        value = function.__globals__[name]
        skipped = isinstance(value, (types.ModuleType, type)) or (
            hasattr(value, "__module__") and value.__module__ == "builtins")
        if not skipped:
            values.append((name, value))
    for name, cell in zip(function.__code__.co_freevars, function.__closure__ or ()):
        values.append((name, cell.cell_contents))
    return values


def client_side(report, entry):
    """What the SDK's client gives the file for this report."""
    outcome = report["outcome"]
    if outcome == "ok" and CLIENT_VALUE:
        return CLIENT_VALUE[0]
    strict = entry["serialization"] == "strict_json"
    errors = sys.modules["cwsandbox" if strict else "aviato"]
    message = report.get("exception_message") or report.get("message") or ""
    if outcome == "refused":
        if strict:
            import builtins

            kind = getattr(builtins, report.get("exception_type") or "", TypeError)
            raise kind(message)
        raise errors.FunctionSerializationError(message)
    if outcome == "raised":
        import types

        # What the SDK keeps of the sandbox's command: its exit status and output.
        exec_result = types.SimpleNamespace(
            returncode=report.get("sdk_returncode", 1), stdout="",
            stderr=report.get("sdk_stderr", ""))
        raise errors.SandboxExecutionError(
            "Function '%s' execution failed in sandbox: %s" % (entry["name"], message),
            exception_type=report.get("exception_type"),
            exception_message=report.get("exception_message"), exec_result=exec_result)
    raise errors.SandboxError(message)


def sdk_stand_ins(entries, called):
    """Modules `aviato` and `cwsandbox` whose sessions' `.function()` decorate with
    stand-ins that hand each call to `called`."""
    import enum
    import inspect
    import types

    def entry_of(function, options):
        code = getattr(function, "__code__", None)
        for entry in entries:
            if code is not None and entry["name"] == function.__name__ and \
                    entry["first_line"] <= code.co_firstlineno <= entry["def_line"]:
                return with_options(entry, options)
        return None

    def with_options(entry, options):
        """The entry, with the mode the decorator's options give when the file
        computes it: the SDK reads `serialization.value` when a call is made."""
        if not entry["serialization_from_options"]:
            return entry
        mode = options.get("serialization")
        if mode is None:
            return dict(entry, serialization="json")
        try:
            return dict(entry, serialization=mode.value)
        except AttributeError as error:
            return dict(entry, refusal=error)

    def module(name, strict):
        stand_in = types.ModuleType(name)

        class SandboxError(Exception):
            pass

        class SandboxExecutionError(SandboxError):
            def __init__(self, message="", exception_type=None, exception_message=None,
                         exec_result=None):
                super().__init__(message)
                self.exception_type = exception_type
                self.exception_message = exception_message
                self.exec_result = exec_result

        class FunctionSerializationError(SandboxError):
            pass

        class AsyncFunctionError(SandboxError if strict else TypeError):
            pass

        def refuse_async(function):
            inner = unwrapped(function)
            if inspect.iscoroutinefunction(inner) or inspect.isasyncgenfunction(inner):
                raise AsyncFunctionError(
                    "Function '%s' is async, but @session.function() only supports "
                    "synchronous functions. The sandbox executes Python synchronously. If "
                    "you need async behavior, run your async code inside the sync function "
                    "using asyncio.run()." % function.__name__)

        class OperationRef:
            def __init__(self, run):
                self.run = run

            def result(self, timeout=None):
                return self.run()

            def __await__(self):
                return self.run()
                yield

        class Decorated:
            def __init__(self, function, entry):
                self.function = function
                self.entry = entry
                for key in ("__name__", "__doc__", "__module__", "__qualname__"):
                    setattr(self, key, getattr(function, key, None))

        class RemoteFunction(Decorated):
            def remote(self, *args, **kwargs):
                if self.entry is None:
                    return OperationRef(lambda: self.function(*args, **kwargs))
                # The SDK starts the call at once; every error comes at `.result()`.
                give = called(self.entry, self.function, args, kwargs)
                try:
                    value = give()
                except Exception as error:
                    failure = error

                    def fail():
                        raise failure
                    return OperationRef(fail)
                return OperationRef(lambda: value)

            def map(self, items):
                return [self.remote(*item) for item in items]

            def local(self, *args, **kwargs):
                return self.function(*args, **kwargs)

        class AviatoFunction(Decorated):
            def __call__(self, *args, **kwargs):
                if self.entry is None:
                    give = lambda: self.function(*args, **kwargs)  # noqa: E731
                else:
                    give = called(self.entry, self.function, args, kwargs)

                # The SDK's errors come where the coroutine is awaited.
                async def result():
                    return give()
                return result()

        class Session:
            def __init__(self, *args, **kwargs):
                pass

            def __enter__(self):
                return self

            def __exit__(self, *exc_info):
                return False

            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc_info):
                return False

            def __getattr__(self, name):
                # `close()`, `list()`, `sandbox(...)`: the rest of the SDK's session
                # does nothing here.
                if name.startswith("__"):
                    raise AttributeError(name)
                return Anything()

            def function(self, **options):
                def decorate(function):
                    refuse_async(function)
                    decorated = RemoteFunction if strict else AviatoFunction
                    return decorated(function, entry_of(function, options))
                return decorate

        class Sandbox:
            def __init__(self, *args, **kwargs):
                pass

            @staticmethod
            def session(*args, **kwargs):
                return Session()

        class Anything:
            """Any other name of the SDK: accepts any arguments and attribute."""

            def __init__(self, *args, **kwargs):
                pass

            def __getattr__(self, name):
                if name.startswith("__"):
                    raise AttributeError(name)
                return Anything()

            def __call__(self, *args, **kwargs):
                return Anything()

        class Serialization(str, enum.Enum):
            PICKLE = "pickle"
            JSON = "json"

        for value in (SandboxError, SandboxExecutionError, FunctionSerializationError,
                      AsyncFunctionError, Session, Sandbox, Serialization):
            setattr(stand_in, value.__name__, value)
        stand_in.CWSandboxError = SandboxError
        stand_in.SandboxDefaults = Anything

        def other_name(name):
            # The SDK's other exceptions, for `except SandboxTimeoutError:`.
            if name.endswith(("Error", "Exception")):
                error = type(name, (SandboxError,), {})
                setattr(stand_in, name, error)
                return error
            return Anything

        stand_in.__getattr__ = other_name
        return stand_in

    return {"aviato": module("aviato", False), "cwsandbox": module("cwsandbox", True)}


main()
