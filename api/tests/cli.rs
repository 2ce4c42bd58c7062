//! The api's command line: usage, version, and `openapi` printing only the spec.

use std::process::Command;

fn api() -> Command {
    Command::new(env!("CARGO_BIN_EXE_onboard-api"))
}

#[test]
fn help_and_version_describe_every_subcommand_and_exit_zero() {
    let help = api().arg("--help").output().unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    for command in ["serve", "migrate", "openapi"] {
        assert!(text.contains(&format!("  {command} ")), "{command}: {text}");
    }
    let version = api().arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("onboard-api {}", env!("CARGO_PKG_VERSION"))
    );
    let unknown = api().arg("--nonsense").output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8(unknown.stderr)
            .unwrap()
            .contains("Usage:")
    );
}

#[test]
fn openapi_prints_the_spec_alone() {
    let out = api().arg("openapi").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        onboard_api::spec_yaml()
    );
}
