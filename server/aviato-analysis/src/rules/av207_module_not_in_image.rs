use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Stmt, StmtImport, StmtImportFrom};
use ruff_text_size::{Ranged, TextRange};

use crate::checker::Checker;
use crate::facts::declared_image;
use crate::rules::Rule;
use crate::sandbox::SandboxFunction;
use crate::sdk::Sdk;
use crate::stdlib;

/// AV207: the body imports a package the function's image does not have: a plain
/// `python` image holds the standard library only.
pub(crate) fn check(checker: &mut Checker, function: &SandboxFunction) {
    let Some(image) = declared_image(checker.model, function) else {
        return;
    };
    if !is_plain_python(&image) {
        return;
    }
    let mut imports = Imports::default();
    imports.visit_body(&function.def.body);
    for (module, range) in imports.found {
        let top = module.split('.').next().unwrap_or(module);
        if stdlib::is_module(top) || Sdk::is_sdk_name(top) || top == "__future__" {
            continue;
        }
        checker.report(
            Rule::ModuleNotInImage,
            range,
            format!(
                "`{top}` is not in the image `{image}`, which holds the standard library only: the import raises `ModuleNotFoundError: No module named '{top}'` in the sandbox; give `container_image=` an image that has it"
            ),
        );
    }
}

/// `python`, `python:3.11`, `python:3.12-slim`...: the official images, which hold
/// no third-party packages.
fn is_plain_python(image: &str) -> bool {
    let image = image.strip_prefix("docker.io/").unwrap_or(image);
    let image = image.strip_prefix("library/").unwrap_or(image);
    let Some(tag) = image.strip_prefix("python") else {
        return false;
    };
    tag.is_empty()
        || tag
            .strip_prefix(':')
            .is_some_and(|tag| tag.starts_with(|c: char| c.is_ascii_digit()) || tag == "latest")
}

/// The modules imported in a body, outside `try` blocks (which may expect the
/// import to fail) and outside nested functions that may never run.
#[derive(Default)]
struct Imports<'a> {
    found: Vec<(&'a str, TextRange)>,
}

impl<'a> Visitor<'a> for Imports<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(StmtImport { names, .. }) => {
                for alias in names {
                    self.found.push((alias.name.id.as_str(), alias.range()));
                }
            }
            Stmt::ImportFrom(StmtImportFrom {
                module: Some(module),
                level: 0,
                ..
            }) => self.found.push((module.id.as_str(), module.range())),
            Stmt::Try(_) | Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            stmt => visitor::walk_stmt(self, stmt),
        }
    }
}
