//! Every quick fix the analysis offers, applied to every fixture: the diagnostic it
//! fixes goes away and no syntax error appears.

use std::path::Path;

use aviato_analysis::{Diagnostic, Rule, Settings, check};

fn fixtures() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut files = Vec::new();
    for dir in ["sdk", "rules"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "py") {
                files.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }
    files.sort();
    files
}

fn apply(source: &str, diagnostic: &Diagnostic) -> String {
    let mut edits = diagnostic.fix.as_ref().unwrap().edits.clone();
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.range.start()));
    let mut fixed = source.to_string();
    for edit in edits {
        fixed.replace_range(
            edit.range.start().to_usize()..edit.range.end().to_usize(),
            &edit.content,
        );
    }
    fixed
}

/// How many diagnostics of this rule the same function has.
fn count(diagnostics: &[Diagnostic], rule: Rule, function: Option<&str>) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.rule == rule && d.function.as_ref().map(|f| f.name.as_str()) == function)
        .count()
}

#[test]
fn each_fix_removes_its_diagnostic() {
    let settings = Settings::default();
    let mut fixed_rules = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (file, source) in fixtures() {
        let before = check(&source, &settings);
        let syntax_errors = count(&before, Rule::SyntaxError, None);
        for diagnostic in before.iter().filter(|d| d.fix.is_some()) {
            let fixed = apply(&source, diagnostic);
            let after = check(&fixed, &settings);
            let function = diagnostic.function.as_ref().map(|f| f.name.as_str());
            let remaining = count(&after, diagnostic.rule, function);
            if remaining >= count(&before, diagnostic.rule, function) {
                failures.push(format!(
                    "{file}: {} `{}` still reported",
                    diagnostic.rule, diagnostic.message
                ));
            }
            if count(&after, Rule::SyntaxError, None) > syntax_errors {
                failures.push(format!(
                    "{file}: the fix for {} breaks the syntax:\n{fixed}",
                    diagnostic.rule
                ));
            }
            fixed_rules.insert(diagnostic.rule);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let expected = [
        Rule::AsyncSandboxFunction,
        Rule::DecoratorNotCalled,
        Rule::InvalidDecoratorArguments,
        Rule::UnstrippedDecoratorAlias,
        Rule::ModuleNotInSandbox,
        Rule::NameNotSent,
        Rule::AnnotationNotInSandbox,
        Rule::MissingAwait,
        Rule::RelativeTempDir,
    ];
    for rule in expected {
        assert!(
            fixed_rules.contains(&rule),
            "no fixture exercises the fix of {rule}"
        );
    }
}

#[test]
fn async_body_is_wrapped_in_asyncio_run() {
    let source = "import asyncio\nfrom aviato import Sandbox\n\n\nasync def main():\n    async with Sandbox.session() as session:\n\n        @session.function()\n        async def fetch(n):\n            await asyncio.sleep(0)\n            if n:\n                return n\n            return 0\n\n        print(await fetch(1))\n";
    let diagnostics = check(source, &Settings::default());
    let async_def = diagnostics
        .iter()
        .find(|d| d.rule == Rule::AsyncSandboxFunction)
        .unwrap();
    let fixed = apply(source, async_def);
    let expected = "        @session.function()\n        def fetch(n):\n            import asyncio\n\n            async def _fetch_async():\n                await asyncio.sleep(0)\n                if n:\n                    return n\n                return 0\n\n            return asyncio.run(_fetch_async())\n";
    assert!(fixed.contains(expected), "{fixed}");
}
