//! End-to-end tests of the `aviato-lsp` command line: the real binary on files in
//! temporary directories.

mod check;
mod fix;
mod killed_host;
mod project;
mod rough_edges;
mod rule;
mod run;
