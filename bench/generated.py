"""The generated 10,000-line aviato file of the analysis benchmark
(`server/aviato-analysis/benches/generated.rs`), ported line for line so the Python
benchmarks need no Rust build to make it. The two agree byte for byte:

    cargo bench -p aviato-analysis --bench analysis -- --write /tmp/gen-rust.py
    python3 bench/generated.py /tmp/gen-python.py && cmp /tmp/gen-rust.py /tmp/gen-python.py
"""

import sys

FUNCTIONS = 200
LINES = 10_000


def source():
    text = [
        "import asyncio\nimport math\nimport json\nfrom collections import Counter\n"
        "from aviato import Sandbox, SandboxDefaults, Serialization\n\n"
        'THRESHOLD = 10\nLABELS = ["low", "high"]\nORIGIN = (0, 0)\n\n\n'
        "def helper(x):\n    return x * 2\n\n\n"
    ]
    per_main = 20
    for block in range(FUNCTIONS // per_main):
        text.append(f"async def main_{block}():\n")
        text.append(f"    scale = {block}\n")
        text.append(
            '    async with Sandbox.session(SandboxDefaults(container_image="python:3.11")) as session:\n'
        )
        for index in range(per_main):
            text.append(_function(block * per_main + index))
        for index in range(per_main):
            text.append(f"        print(await f{block * per_main + index}([1.0, 2.0, 3.0], {index}))\n")
        text.append("\n\n")
    # Pad with ordinary module code up to the target size.
    lines = "".join(text).count("\n")
    filler = 0
    while lines < LINES - 1:
        text.append(
            f"def filler_{filler}(values):\n    total = 0\n    for value in values:\n"
            f"        total += value * {filler}\n    return total\n\n"
        )
        lines += 6
        filler += 1
    text.append("asyncio.run(main_0())\n")
    return "".join(text)


def _function(n):
    mistake = {
        0: "        result = math.sqrt(abs(total))  # module imported at the top\n",
        1: "        result = helper(total)  # module-level function captured\n",
        2: "        result = Counter(values).most_common(1)  # class not sent\n",
    }.get(n % 5, "        result = total\n")
    return (
        "\n        @session.function()\n"
        f"        def f{n}(values: list[float], offset: int = 0) -> dict[str, float]:\n"
        "            import statistics\n\n"
        "            total = 0.0\n            for index, value in enumerate(values):\n"
        "                if value > THRESHOLD:\n                    total += value * scale\n"
        "                else:\n                    total -= value / (index + 1)\n"
        "            squares = [v * v for v in values if v]\n"
        "            label = LABELS[1] if total > THRESHOLD else LABELS[0]\n"
        + mistake.replace("        ", "            ")
        + '            return {"mean": statistics.mean(values), "total": total, "offset": offset,\n'
        + '                    "squares": sum(squares), "label": len(label), "result": 0}\n'
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 bench/generated.py PATH")
    with open(sys.argv[1], "w") as file:
        file.write(source())
