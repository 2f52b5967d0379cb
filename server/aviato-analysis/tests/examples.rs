//! The bundled examples show what `examples/README.md` says they show: the listed
//! rule codes for each mistake file, and nothing for the correct ones.

use std::collections::BTreeSet;
use std::path::Path;

use aviato_analysis::{Settings, check};

fn examples_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn codes_in(file: &str) -> BTreeSet<String> {
    let source = std::fs::read_to_string(examples_dir().join(file)).unwrap();
    check(&source, &Settings::default())
        .iter()
        .map(|d| d.rule.code().to_string())
        .collect()
}

#[test]
fn mistake_files_show_the_documented_rules() {
    let readme = std::fs::read_to_string(examples_dir().join("README.md")).unwrap();
    let mut checked = 0;
    for row in readme
        .lines()
        .filter(|line| line.starts_with("| `mistakes/"))
    {
        let file = row.split('`').nth(1).unwrap();
        let documented: BTreeSet<String> = row
            .rsplit('|')
            .nth(1)
            .unwrap()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|word| word.starts_with("AV"))
            .map(str::to_string)
            .collect();
        assert_eq!(codes_in(file), documented, "{file}");
        checked += 1;
    }
    assert!(checked >= 3, "the README lists the mistake files");
}

#[test]
fn correct_files_are_clean() {
    for entry in std::fs::read_dir(examples_dir().join("correct")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "py") {
            let file = format!("correct/{}", path.file_name().unwrap().to_string_lossy());
            assert_eq!(codes_in(&file), BTreeSet::new(), "{file}");
        }
    }
}
