//! A generated file of realistic size: 10,000 lines with 200 sandbox functions,
//! about one in five carrying a mistake a rule reports.

use std::fmt::Write;

pub const FUNCTIONS: usize = 200;
pub const LINES: usize = 10_000;

pub fn source() -> String {
    let mut text = String::from(
        "import asyncio\nimport math\nimport json\nfrom collections import Counter\nfrom aviato import Sandbox, SandboxDefaults, Serialization\n\n\
         THRESHOLD = 10\nLABELS = [\"low\", \"high\"]\nORIGIN = (0, 0)\n\n\ndef helper(x):\n    return x * 2\n\n\n",
    );
    let per_main = 20;
    for block in 0..FUNCTIONS / per_main {
        writeln!(text, "async def main_{block}():").unwrap();
        writeln!(text, "    scale = {block}").unwrap();
        writeln!(text, "    async with Sandbox.session(SandboxDefaults(container_image=\"python:3.11\")) as session:").unwrap();
        for index in 0..per_main {
            function(&mut text, block * per_main + index);
        }
        for index in 0..per_main {
            writeln!(
                text,
                "        print(await f{}([1.0, 2.0, 3.0], {index}))",
                block * per_main + index
            )
            .unwrap();
        }
        text.push_str("\n\n");
    }
    // Pad with ordinary module code up to the target size.
    let mut filler = 0;
    while text.lines().count() < LINES - 1 {
        writeln!(text, "def filler_{filler}(values):\n    total = 0\n    for value in values:\n        total += value * {filler}\n    return total\n").unwrap();
        filler += 1;
    }
    text.push_str("asyncio.run(main_0())\n");
    text
}

fn function(text: &mut String, n: usize) {
    let mistake = match n % 5 {
        0 => "        result = math.sqrt(abs(total))  # module imported at the top\n",
        1 => "        result = helper(total)  # module-level function captured\n",
        2 => "        result = Counter(values).most_common(1)  # class not sent\n",
        _ => "        result = total\n",
    };
    writeln!(text, "\n        @session.function()").unwrap();
    writeln!(
        text,
        "        def f{n}(values: list[float], offset: int = 0) -> dict[str, float]:"
    )
    .unwrap();
    text.push_str("            import statistics\n\n");
    text.push_str("            total = 0.0\n            for index, value in enumerate(values):\n");
    text.push_str(
        "                if value > THRESHOLD:\n                    total += value * scale\n",
    );
    text.push_str("                else:\n                    total -= value / (index + 1)\n");
    text.push_str("            squares = [v * v for v in values if v]\n");
    text.push_str("            label = LABELS[1] if total > THRESHOLD else LABELS[0]\n");
    text.push_str(&mistake.replace("        ", "            "));
    text.push_str("            return {\"mean\": statistics.mean(values), \"total\": total, \"offset\": offset,\n");
    text.push_str(
        "                    \"squares\": sum(squares), \"label\": len(label), \"result\": 0}\n",
    );
}
