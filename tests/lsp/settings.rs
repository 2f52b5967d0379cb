//! Rule settings from the editor (`initializationOptions`,
//! `workspace/didChangeConfiguration`) and from `pyproject.toml`.

use serde_json::{Value, json};

use crate::client::{CORRECT_SOURCE, Server, capabilities};

const URI: &str = "file:///nonexistent/aviato-lsp-tests/settings.py";

fn broken_source() -> String {
    format!("{CORRECT_SOURCE}total = 7 42\n")
}

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .map(|diagnostic| diagnostic["code"].as_str().unwrap())
        .collect()
}

#[test]
fn configuration_change_republishes_every_open_document() {
    let (mut server, _) = Server::start(&[], None);
    let other = "untitled:Untitled-1";
    server.open(URI, 1, &broken_source());
    server.open(other, 1, &broken_source());
    assert_eq!(codes(&server.diagnostics(URI, 1)), ["AV001"]);
    assert_eq!(codes(&server.diagnostics(other, 1)), ["AV001"]);

    // VS Code's shape: the `aviato` section under `settings`.
    server.configure(json!({"aviato": {"ignore": ["AV001"]}}));
    assert_eq!(server.diagnostics(URI, 1), Vec::<Value>::new());
    assert_eq!(server.diagnostics(other, 1), Vec::<Value>::new());

    // The bare object, with a key from a later feature that must be ignored.
    server.configure(json!({"severity": {"AV001": "warning"}, "runTimeout": 30}));
    for uri in [URI, other] {
        let diagnostics = server.diagnostics(uri, 1);
        assert_eq!(codes(&diagnostics), ["AV001"]);
        // 2 = warning.
        assert_eq!(diagnostics[0]["severity"], 2);
    }

    // Selecting other rules only drops AV001; edits keep the settings.
    server.configure(json!({"select": ["AV2"]}));
    assert_eq!(server.diagnostics(URI, 1), Vec::<Value>::new());
    server.change(
        URI,
        2,
        json!([{"text": format!("{}x = 1 2\n", broken_source())}]),
    );
    assert_eq!(server.diagnostics(URI, 2), Vec::<Value>::new());
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn initialization_options_apply_from_the_first_diagnostics() {
    let options = json!({"settings": {"aviato": {"ignore": ["syntax-error"]}}});
    let (mut server, _) = Server::start(&[], Some(options));
    server.open(URI, 1, &broken_source());
    assert_eq!(server.diagnostics(URI, 1), Vec::<Value>::new());

    // Clearing the settings brings the rule back.
    server.configure(Value::Null);
    assert_eq!(codes(&server.diagnostics(URI, 1)), ["AV001"]);
}

#[test]
fn null_settings_make_a_pulling_client_be_asked() {
    let mut server = Server::spawn();
    let mut capabilities = capabilities(&[]);
    capabilities["workspace"] = json!({"configuration": true});
    server.initialize(capabilities, Some(json!({"severity": {"AV001": "hint"}})));
    server.open(URI, 1, &broken_source());
    assert_eq!(server.diagnostics(URI, 1)[0]["severity"], 4);

    server.configure(Value::Null);
    let request = server.server_request("workspace/configuration");
    let items = request["params"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["section"], "aviato");
    server.reply(
        &request,
        json!([{"ignore": ["AV001"], "run": {"timeout": 5}}]),
    );
    assert_eq!(server.diagnostics(URI, 1), Vec::<Value>::new());
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn bad_settings_are_shown_and_the_server_carries_on() {
    let (mut server, _) = Server::start(&[], Some(json!({"select": "AV001"})));
    let message = server.notification("window/showMessage", |_| true);
    // 1 = error.
    assert_eq!(message["type"], 1);
    assert!(
        message["message"].as_str().unwrap().contains("aviato"),
        "{message:#}"
    );
    server.open(URI, 1, &broken_source());
    assert_eq!(codes(&server.diagnostics(URI, 1)), ["AV001"]);

    // An unknown rule: shown; the settings in force stay.
    server.configure(json!({"ignore": ["AV001"]}));
    assert_eq!(server.diagnostics(URI, 1), Vec::<Value>::new());
    server.configure(json!({"ignore": ["AV999"]}));
    let message = server.notification("window/showMessage", |_| true);
    assert!(
        message["message"].as_str().unwrap().contains("AV999"),
        "{message:#}"
    );
    server.change(
        URI,
        2,
        json!([{"text": format!("{}x = 1 2\n", broken_source())}]),
    );
    assert_eq!(server.diagnostics(URI, 2), Vec::<Value>::new());
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn pyproject_settings_with_editor_settings_taking_priority_key_by_key() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("pyproject.toml"),
        "[project]\nname = \"demo\"\n\n[tool.aviato-lsp]\nignore = [\"AV001\"]\nseverity = { AV001 = \"hint\" }\n",
    )
    .unwrap();
    let package = project.path().join("src").join("demo");
    std::fs::create_dir_all(&package).unwrap();
    let uri = format!("file://{}", package.join("app.py").display());

    let (mut server, _) = Server::start(&[], None);
    server.open(&uri, 1, &broken_source());
    assert_eq!(server.diagnostics(&uri, 1), Vec::<Value>::new());

    // The editor's `ignore` replaces the file's; the file's severity still applies.
    server.configure(json!({"ignore": []}));
    let diagnostics = server.diagnostics(&uri, 1);
    assert_eq!(codes(&diagnostics), ["AV001"]);
    // 4 = hint.
    assert_eq!(diagnostics[0]["severity"], 4);

    // The table is cached until the file changes: an edit of it applies on the next
    // change of the document, and so does a nearer `pyproject.toml` added later.
    std::fs::write(
        project.path().join("pyproject.toml"),
        "[tool.aviato-lsp]\nseverity = { AV001 = \"warning\" }\n",
    )
    .unwrap();
    server.change(&uri, 2, json!([{"text": broken_source()}]));
    assert_eq!(server.diagnostics(&uri, 2)[0]["severity"], 2);
    std::fs::write(
        package.join("pyproject.toml"),
        "[tool.aviato-lsp]\nseverity = { AV001 = \"information\" }\n",
    )
    .unwrap();
    server.change(&uri, 3, json!([{"text": broken_source()}]));
    assert_eq!(server.diagnostics(&uri, 3)[0]["severity"], 3);
}

#[test]
fn broken_pyproject_is_shown_once_and_defaults_apply() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("pyproject.toml"),
        "[tool.aviato-lsp]\nselect = [\"AV999\"]\n",
    )
    .unwrap();
    let uri = format!("file://{}", project.path().join("app.py").display());

    let (mut server, _) = Server::start(&[], None);
    server.open(&uri, 1, &broken_source());
    let message = server.notification("window/showMessage", |_| true);
    assert!(
        message["message"]
            .as_str()
            .unwrap()
            .contains("pyproject.toml"),
        "{message:#}"
    );
    assert_eq!(codes(&server.diagnostics(&uri, 1)), ["AV001"]);

    server.change(&uri, 2, json!([{"text": broken_source()}]));
    assert_eq!(codes(&server.diagnostics(&uri, 2)), ["AV001"]);
    let repeated: Vec<Value> = server
        .messages_within(std::time::Duration::from_millis(200))
        .into_iter()
        .filter(|message| message["method"] == "window/showMessage")
        .collect();
    assert_eq!(repeated, Vec::<Value>::new());
}
