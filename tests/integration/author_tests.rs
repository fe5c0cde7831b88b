//! `sluice test`: plugin authors' snapshot cases. A first run writes the snapshot, a later run
//! compares with it, a changed plugin shows a diff and fails, `--bless` accepts the change.

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::{run_cmd, sluice, tempdir, test_plugin};

fn case(root: &Path, name: &str, tag: &str) -> PathBuf {
    let dir = root.join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("pipeline.toml"),
        format!(
            "[[stage]]\nplugin = \"{}\"\ntag = \"{tag}\"\n",
            test_plugin("probe")
        ),
    )
    .unwrap();
    fs::write(
        dir.join("input.log"),
        b"first line\r\nsecond \xff line\nlast",
    )
    .unwrap();
    dir
}

fn sluice_test(root: &Path, extra: &[&str]) -> crate::util::Run {
    run_cmd(sluice().arg("test").arg(root).args(extra), b"")
}

#[test]
fn new_then_ok_then_diff_then_bless() {
    let root = tempdir("author-tests");
    let dir = case(&root, "tagged", "v1");

    let first = sluice_test(&root, &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first
            .text()
            .starts_with("new  tagged: wrote output.snap; review it\n"),
        "{}",
        first.text()
    );
    let snapshot = fs::read(dir.join("output.snap")).unwrap();
    assert_eq!(
        snapshot,
        b"---\nsource: sluice test\ninput: input.log\npipeline: pipeline.toml\n---\n\
          first line|v1\r\nsecond \xff line|v1\nlast|v1"
    );

    let second = sluice_test(&root, &[]);
    assert_eq!(second.code, 0);
    insta::assert_snapshot!(second.text(), @r"
    ok   tagged

    1 passed, 0 failed, 0 snapshots written
    ");

    // The plugin's behaviour changes: the case fails with a diff.
    case(&root, "tagged", "v2");
    let changed = sluice_test(&root, &[]);
    assert_eq!(changed.code, 1);
    insta::assert_snapshot!(changed.text(), @r"
    FAIL tagged: the output differs from output.snap
        - first line|v1␍
        - second � line|v1
        - last|v1
        + first line|v2␍
        + second � line|v2
        + last|v2
        ...

    0 passed, 1 failed, 0 snapshots written
    run `sluice test --bless` to accept the new output
    ");

    let blessed = sluice_test(&root, &["--bless"]);
    assert_eq!(blessed.code, 0);
    assert!(
        blessed
            .text()
            .starts_with("updated tagged: wrote output.snap"),
        "{}",
        blessed.text()
    );
    assert_eq!(sluice_test(&root, &[]).code, 0);
}

#[test]
fn a_broken_case_fails_and_an_empty_folder_is_an_error() {
    let root = tempdir("author-tests-broken");
    let dir = root.join("bad");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("pipeline.toml"), "[[stage]]\nplugin = \"regex\"\n").unwrap();
    fs::write(dir.join("input.log"), "x\n").unwrap();
    let run = sluice_test(&root, &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.text()
            .starts_with("FAIL bad: stage 1 (regex): config key `expression`: is required"),
        "{}",
        run.text()
    );

    let empty = tempdir("author-tests-empty");
    let run = sluice_test(&empty, &[]);
    assert!(run.fails(2).contains("no test cases in"), "{}", run.stderr);
}
