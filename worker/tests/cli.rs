//! The worker's command line: usage and version, and `extract` printing only JSON.

use std::process::Command;

fn worker() -> Command {
    Command::new(env!("CARGO_BIN_EXE_onboard-worker"))
}

#[test]
fn help_and_version_describe_every_subcommand_and_exit_zero() {
    let help = worker().arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    for command in ["run", "migrate", "enqueue", "extract"] {
        assert!(text.contains(&format!("  {command} ")), "{command}: {text}");
    }
    let extract = worker().args(["extract", "--help"]).output().unwrap();
    assert!(extract.status.success());
    assert!(String::from_utf8(extract.stdout).unwrap().contains("--url"));
    let version = worker().arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("onboard-worker {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn without_a_command_it_prints_usage_and_starts_nothing() {
    let dir = std::env::temp_dir().join(format!("onboard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bare = worker().current_dir(&dir).env_clear().output().unwrap();
    assert_eq!(bare.status.code(), Some(2));
    assert!(String::from_utf8(bare.stderr).unwrap().contains("Usage:"));
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "no database was made"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn extract_prints_only_json_even_when_the_parser_warns() {
    // Text straight inside a table makes html5ever log "foster parenting not implemented".
    let dir = std::env::temp_dir().join(format!("onboard-extract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("table.html");
    std::fs::write(
        &page,
        "<html><head><title>T</title></head><body><table>stray text<tr><td>cell</td></tr>\
         </table><p>A paragraph about widgets.</p></body></html>",
    )
    .unwrap();
    let out = worker()
        .args(["extract", "--url", "https://acme.test/"])
        .arg(&page)
        .arg(&page)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for line in lines {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON object a line");
        assert_eq!(value["page"]["title"], "T");
    }
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("foster parenting"),
        "the warning goes to stderr"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
