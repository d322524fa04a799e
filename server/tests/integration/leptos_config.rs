//! `Leptos.toml` (read by the server outside cargo-leptos) must agree with the cargo-leptos
//! metadata in the workspace `Cargo.toml`.

use std::path::Path;

fn read(path: &str) -> toml::Table {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join(path)).unwrap();
    toml::from_str(&text).unwrap()
}

#[test]
fn leptos_toml_matches_the_workspace_metadata() {
    let cargo = read("Cargo.toml");
    let workspace = &cargo["workspace"]["metadata"]["leptos"][0];
    let leptos = read("Leptos.toml");
    let runtime = &leptos["package"]["metadata"]["leptos"];
    for key in [
        "output-name",
        "site-root",
        "site-pkg-dir",
        "site-addr",
        "reload-port",
        "env",
    ] {
        assert_eq!(
            runtime.get(key),
            workspace.get(key),
            "{key} differs between Leptos.toml and Cargo.toml"
        );
        assert!(runtime.get(key).is_some(), "{key} missing");
    }
}
