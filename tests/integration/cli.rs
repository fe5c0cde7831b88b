//! The command line: errors, exit codes, streaming, broken pipes.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::time::Duration;

use crate::util::{fixture, run, run_cmd, show, sluice, tempdir, test_plugin};

#[test]
fn unknown_builtin() {
    assert_eq!(
        run(&["-p", "sanitise"], b"").fails(2),
        "sluice: stage 1 (sanitise): unknown plugin `sanitise`: not a built-in (`sluice --list-plugins` lists them) nor a path to a .wasm file; did you mean `sanitize`?"
    );
}

#[test]
fn missing_wasm_file() {
    assert_eq!(
        run(&["-p", "sanitize", "-p", "./nowhere/filter.wasm"], b"").fails(2),
        "sluice: stage 2 (./nowhere/filter.wasm): cannot read the plugin file: No such file or directory (os error 2)"
    );
}

#[test]
fn config_that_is_not_json() {
    let message = run(&["-p", "regex={expression}"], b"").fails(2).to_owned();
    assert!(
        message.starts_with("sluice: -p regex: config is not valid JSON: "),
        "{message}"
    );
}

#[test]
fn config_that_is_not_an_object() {
    assert_eq!(
        run(&["-p", "pack=[\"level\"]"], b"").fails(2),
        "sluice: -p pack: config must be a JSON object like {\"key\": \"value\"}, got a list"
    );
}

#[test]
fn missing_input_file_is_reported_and_the_rest_still_runs() {
    let run = run_cmd(sluice().args(["no/such.log", "-"]), b"still here\n");
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr,
        "sluice: no/such.log: No such file or directory (os error 2)\n"
    );
    assert_eq!(run.stdout, b"still here\n");
}

/// `sluice inpsect sanitize` is a typo, not two files: the subcommand is suggested (exit 2).
/// A file that exists under such a name is read.
#[test]
fn a_mistyped_subcommand_is_suggested_unless_it_is_a_file() {
    let typo = run(&["inpsect", "sanitize"], b"");
    assert_eq!(
        typo.fails(2),
        "sluice: no file `inpsect`; did you mean the subcommand `sluice inspect`?"
    );
    let dir = tempdir("cli-mistyped-command");
    std::fs::write(dir.join("tset"), "a file named tset\n").unwrap();
    let read = run_cmd(sluice().current_dir(&dir).arg("tset"), b"");
    assert_eq!(read.ok(), b"a file named tset\n");
}

/// Any file name the OS accepts, UTF-8 or not, is read (and followed).
#[test]
fn a_file_name_that_is_not_utf8_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempdir("cli-non-utf8-name");
    let path = dir.join(std::ffi::OsStr::from_bytes(b"caf\xe9.log"));
    std::fs::write(&path, "from a latin-1 name\n").unwrap();
    let read = run_cmd(sluice().arg(&path), b"");
    assert_eq!(read.ok(), b"from a latin-1 name\n");
    let missing = run_cmd(
        sluice().arg(dir.join(std::ffi::OsStr::from_bytes(b"n\xe9"))),
        b"",
    );
    assert_eq!(missing.code, 3, "{}", missing.stderr);
}

/// `sluice completions SHELL` prints a script the shell accepts; `sluice man` a man page that
/// man renders, with the options and the exit status table of --help.
#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = run(&["completions", shell], b"");
        let text = String::from_utf8(script.ok().to_vec()).unwrap();
        assert!(text.contains("plugin-timeout"), "{shell}: {text}");
    }
    let bash = run(&["completions", "bash"], b"");
    let check = run_cmd(
        std::process::Command::new("bash").args(["-c", "source /dev/stdin && complete -p sluice"]),
        bash.ok(),
    );
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(String::from_utf8_lossy(&check.stdout).contains("_sluice"));
    assert!(run(&["completions", "tcsh"], b"").code == 2);

    let man = run(&["man"], b"");
    let page = String::from_utf8(man.ok().to_vec()).unwrap();
    assert!(
        page.starts_with(".ie") && page.contains(".TH sluice 1"),
        "{page}"
    );
    assert!(page.contains("plugin\\-timeout") && page.contains("Exit status"));
}

#[test]
fn overlap_must_be_smaller_than_the_cap() {
    assert_eq!(
        run(&["--max-line-bytes", "1K", "--boundary-overlap", "1K"], b"").fails(2),
        "sluice: --boundary-overlap (1024) must be smaller than --max-line-bytes (1024)"
    );
}

#[test]
fn bad_option_value_is_a_usage_error() {
    let run = run(&["--max-line-bytes", "lots"], b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a size"), "{}", run.stderr);
}

#[test]
fn pipeline_file() {
    let dir = tempdir("pipeline-file");
    let path = dir.join("pipeline.toml");
    std::fs::write(
        &path,
        r#"
[[stage]]
plugin = "sanitize"

[[stage]]
plugin = "regex"
expression = 'level=(?P<level>\w+)'

[[stage]]
plugin = "pack"
fields = ["level"]
"#,
    )
    .unwrap();
    let run = run_cmd(
        sluice().arg("--config").arg(&path),
        b"level=info password=hunter2\n",
    );
    assert_eq!(
        run.ok(),
        b"{\"_entry\":\"level=info password=[REDACTED]\",\"level\":\"info\"}\n"
    );
}

#[test]
fn pipeline_file_errors_name_the_file_and_stage() {
    let dir = tempdir("pipeline-file-bad");
    let path = dir.join("bad.toml");
    std::fs::write(&path, "[[stage]]\nexpression = 'x'\n").unwrap();
    let run = run_cmd(sluice().arg("-c").arg(&path), b"");
    let message = run.fails(2);
    assert!(
        message.ends_with(
            "bad.toml: stage 1: missing `plugin = \"NAME or PATH\"` (or `match = \"SELECTOR\"`)"
        ),
        "{message}"
    );
}

#[test]
fn list_plugins() {
    let run = run(&["--list-plugins"], b"");
    let out = run.text();
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in [
        "sanitize (boundary-safe)",
        "\nregex\n",
        "\npack\n",
        "expression",
        "replacement",
    ] {
        assert!(out.contains(name), "{name} missing from:\n{out}");
    }
}

#[test]
fn help_documents_exit_codes() {
    let run = run(&["--help"], b"");
    let out = run.text();
    assert!(
        out.contains("Exit status:") && out.contains("broken pipe"),
        "{out}"
    );
}

#[test]
fn broken_pipe_is_a_quiet_exit() {
    // Like `sluice -p sanitize big.log | head -1`.
    let big = "level=info msg=\"hello\" password=x\n".repeat(200_000);
    let mut child = sluice()
        .args(["-p", "sanitize"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(big.as_bytes());
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, "level=info msg=\"hello\" password=[REDACTED]\n");
    drop(stdout); // the reader goes away
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn a_line_comes_out_before_the_next_one_is_written() {
    // A slow writer keeps the pipe open: each line must come out on its own, without waiting
    // for more input or for the end of it.
    let mut child = sluice()
        .args(["-p", "sanitize"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let rx = crate::util::lines_of(&mut child);
    for i in 0..3 {
        writeln!(stdin, "line {i} token=abc{i}").unwrap();
        stdin.flush().unwrap();
        // Generous: this checks that the line comes out at all while stdin stays open, not
        // how fast (the benchmark notes give the latency).
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("line did not come out while the input stayed open");
        assert_eq!(line, format!("line {i} token=[REDACTED]"));
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn reads_a_directory_as_an_unreadable_input() {
    let run = run_cmd(sluice().arg(fixture("")), b"");
    assert_eq!(run.code, 3);
    assert!(run.stderr.starts_with("sluice: "), "{}", run.stderr);
    assert!(run.stderr.contains("Is a directory"), "{}", run.stderr);
}

#[test]
fn stdout_closed_before_start_is_quiet() {
    let mut child = sluice()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.stdin.take().unwrap().write_all(b"a\nb\n").unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(stderr, "");
}

#[test]
fn too_small_an_overlap_for_sanitize_is_warned_about() {
    let run = run(&["--boundary-overlap", "8", "-p", "sanitize"], b"a\n");
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, b"a\n");
    assert_eq!(
        run.stderr,
        "sluice: warning: --boundary-overlap 8 is too small for boundary-safe stages to catch a \
         secret straddling a cut; use at least 64\n"
    );
}

#[test]
fn inspect_shows_config_keys_and_imports() {
    let out = String::from_utf8(crate::util::transform(&["inspect", "regex"], b"")).unwrap();
    assert!(out.starts_with("regex 0."), "{out}");
    assert!(
        out.contains("    mode (string, default \"extract\")\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "imports:\n    sluice:plugin/matching@0.7.0: regular expressions run by the host, \
             within the stage's deadline and memory limit\n"
        ),
        "{out}"
    );
    let out = String::from_utf8(crate::util::transform(&["inspect", "pack"], b"")).unwrap();
    assert!(out.contains("imports: nothing"), "{out}");
    let probe = crate::util::test_plugin("probe");
    let out = String::from_utf8(crate::util::transform(&["inspect", &probe], b"")).unwrap();
    assert!(out.contains(&format!("origin: {probe}")), "{out}");
    let message = run(&["inspect", "regx"], b"").fails(2).to_owned();
    assert!(
        message.starts_with("sluice: unknown plugin `regx`: not a built-in (")
            && message.ends_with("did you mean `regex`?"),
        "{message}"
    );
    let message = run(&["inspect", "./missing.wasm"], b"").fails(2).to_owned();
    assert!(
        message.starts_with("sluice: ./missing.wasm: cannot read the plugin file"),
        "{message}"
    );
}

/// An option before a subcommand that does nothing there is refused, not ignored; the ones
/// the subcommand runs plugins or cuts lines with, and the colour choice, are taken.
#[test]
fn options_a_subcommand_does_not_take_are_refused() {
    for (args, option, command) in [
        (
            &["-p", "pack", "inspect", "sanitize"][..],
            "-p/--plugin",
            "inspect",
        ),
        (&["--stats", "inspect", "pack"], "--stats", "inspect"),
        (&["-j", "2", "inspect", "pack"], "-j/--threads", "inspect"),
        (&["-o", "json", "test", "."], "-o/--output", "test"),
        (&["--list-plugins", "man"], "--list-plugins", "man"),
        (
            &["--plugin-timeout", "1s", "completions", "bash"],
            "--plugin-timeout",
            "completions",
        ),
    ] {
        let run = run(args, b"");
        assert_eq!(
            run.fails(2),
            format!(
                "sluice: {option} does nothing with `sluice {command}` (it is an option for \
                 processing input); leave it out"
            ),
            "{args:?}"
        );
        assert!(run.stdout.is_empty(), "{args:?}");
    }
    let out = run(
        &[
            "--plugin-memory",
            "64",
            "--color",
            "never",
            "inspect",
            "pack",
        ],
        b"",
    );
    assert!(String::from_utf8_lossy(out.ok()).starts_with("pack 0."));
    let root = crate::util::tempdir("options-before-test");
    let case = root.join("pack");
    std::fs::create_dir_all(&case).unwrap();
    std::fs::write(case.join("pipeline.toml"), "[[stage]]\nplugin = \"pack\"\n").unwrap();
    std::fs::write(case.join("input.log"), "a line\n").unwrap();
    let root = root.to_str().unwrap();
    let out = run(&["-j", "2", "--max-line-bytes", "4096", "test", root], b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// `sluice check` creates every stage with its config and reads no input: a pipeline that
/// would start is listed with what each stage declares; one that would not fails as the run
/// would, with exit 2 and one line.
#[test]
fn check_validates_a_pipeline_without_reading_input() {
    let ok = run(
        &[
            "check",
            "-p",
            "sanitize",
            "-p",
            r#"multiline={"firstline":"^2","on_error":"drop"}"#,
            "-p",
            "aggregate",
        ],
        b"this is never read\n",
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    insta::assert_snapshot!(ok.text(), @r"
    stage 1 (sanitize): sanitize 0.1.0; boundary-safe; state per source, carried from batch to batch (runs on every -j thread); on_error fail
    stage 2 (multiline): multiline 0.1.0; not boundary-safe; state per source; on_error drop
    stage 3 (aggregate): aggregate 0.1.0; not boundary-safe; whole-stream state; on_error fail
    ok: 3 stages would start; no input was read
    ");
    // The stages before `check` count too, and a bad key is found now.
    let bad = run(&["-p", r#"regex={"expresion":"x"}"#, "check"], b"");
    assert!(
        bad.fails(2)
            .contains("config key `expresion`: unknown key; did you mean")
    );
    let nothing = run(&["check"], b"");
    assert_eq!(
        nothing.fails(2),
        "sluice: nothing to check: give the stages with -c FILE or -p SPEC"
    );
    // Options before `check` count: a stage given there is checked.
    let before = run(&["-p", "pack", "check"], b"");
    assert_eq!(before.code, 0, "{}", before.stderr);
    assert!(
        before.text().starts_with("stage 1 (pack): pack "),
        "{}",
        before.text()
    );
}

/// `sluice check` shows the sink a run would ship to, from `--sink` and its options or from
/// the pipeline file's `[sink]` table, and contacts no receiver; a sink option without a sink
/// fails as the run would.
#[test]
fn check_shows_the_sink_a_run_would_ship_to() {
    let given = run(
        &[
            "--sink",
            "otlp=http://127.0.0.1:9",
            "--resource",
            "service.name=checkout",
            "--sink-retry-max",
            "90s",
            "--tee",
            "-p",
            "pack",
            "check",
        ],
        b"",
    );
    assert_eq!(given.code, 0, "{}", given.stderr);
    insta::assert_snapshot!(given.text(), @r"
    stage 1 (pack): pack 0.1.0; not boundary-safe; no state (runs on every -j thread); on_error fail
    sink: otlp to http://127.0.0.1:9; resource service.name=checkout; a batch retried for up to 90s, and waited for up to 10s once stopped; standard output written too
    ok: 1 stage would start; no input was read
    ");
    // A file with only a [sink] ships lines as they are: there is something to check.
    let dir = tempdir("check-sink");
    let file = dir.join("pipeline.toml");
    std::fs::write(
        &file,
        "[sink]\nkind = \"otlp\"\nurl = \"https://collector:4318\"\n\
         [sink.resource]\n\"deployment.environment\" = \"prod\"\n",
    )
    .unwrap();
    let table = run(&["check", "-c", file.to_str().unwrap()], b"");
    assert_eq!(table.code, 0, "{}", table.stderr);
    insta::assert_snapshot!(table.text(), @r"
    sink: otlp to https://collector:4318; resource deployment.environment=prod; a batch retried for up to 300s, and waited for up to 10s once stopped
    ok: 0 stages would start; no input was read
    ");
    let tee = run(&["--tee", "-p", "pack", "check"], b"");
    assert_eq!(
        tee.fails(2),
        "sluice: --tee needs a sink: give --sink otlp=URL, or a [sink] table in the --config file"
    );
}

/// sluice with `args` under a terminal (util-linux `script`), with an empty compile cache in
/// `cache`: what the terminal showed (stdout and stderr, as the terminal got them).
fn on_a_terminal(cache: &std::path::Path, args: &str) -> String {
    let command = format!("{} {args} </dev/null", env!("CARGO_BIN_EXE_sluice"));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("SLUICE_CACHE_DIR", cache)
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("util-linux `script` runs a command under a terminal");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A first run compiles its plugins, which takes seconds: on a terminal, one line on stderr
/// says so and is cleared when done; later runs (the cache holds them) and runs whose stderr
/// is not a terminal say nothing.
#[test]
fn a_first_run_on_a_terminal_says_it_is_compiling() {
    let cache = tempdir("cli-first-run");
    let args = "-p sanitize -p pack";
    let first = on_a_terminal(&cache, args);
    assert_eq!(
        first,
        "sluice: compiling sanitize, pack (first run only)…\r\x1b[2K",
        "{}",
        show(first.as_bytes())
    );
    assert_eq!(on_a_terminal(&cache, args), "");

    let piped = tempdir("cli-first-run-piped");
    let run = run_cmd(
        sluice()
            .env("SLUICE_CACHE_DIR", &piped)
            .args(["-p", "pack"]),
        b"a\n",
    );
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert!(
        std::fs::read_dir(&piped).unwrap().next().is_some(),
        "nothing cached"
    );
}

/// Colour follows `--color` (the last one given) and, under `auto`, the terminal and
/// NO_COLOR: diagnostics and help are plain when piped, styled with `always`, even with
/// NO_COLOR set, and plain with `never`, even on a terminal.
#[test]
fn colour_follows_the_color_option_and_no_color() {
    let error = |args: &[&str], no_color: bool| {
        let mut cmd = sluice();
        cmd.args(args).args(["-p", "nosuch"]);
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        run_cmd(&mut cmd, b"").stderr
    };
    let plain = error(&[], false);
    assert!(
        plain.starts_with("sluice: stage 1 (nosuch): unknown plugin"),
        "{plain}"
    );
    let styled = error(&["--color", "always"], true);
    assert!(
        styled.starts_with("\x1b[1m\x1b[31msluice:\x1b[0m stage 1 (nosuch): unknown plugin"),
        "{}",
        show(styled.as_bytes())
    );
    assert_eq!(error(&["--color=always", "--color", "never"], false), plain);

    let help = |args: &[&str]| run(&[args, &["--help"]].concat(), b"").ok().to_vec();
    assert!(!help(&[]).contains(&0x1b));
    assert!(help(&["--color", "always"]).contains(&0x1b));

    let cache = tempdir("cli-colour");
    let shown = on_a_terminal(&cache, "--color never -p nosuch");
    assert!(
        shown.starts_with("sluice: stage 1"),
        "{}",
        show(shown.as_bytes())
    );
    let shown = on_a_terminal(&cache, "-p nosuch");
    assert!(
        shown.starts_with("\x1b[1m\x1b[31msluice:"),
        "{}",
        show(shown.as_bytes())
    );
}

/// What sluice says on stderr while the progress bar is shown (here a stage's report at the
/// end of the input, before the bar is cleared) starts on a line of its own: the bar is
/// cleared first and drawn again after. Before, the report followed the bar's text.
#[test]
fn what_is_said_while_the_progress_bar_is_shown_starts_a_line() {
    let cache = tempdir("cli-progress-said");
    let dir = tempdir("cli-progress-said-input");
    let file = dir.join("app.log");
    std::fs::write(&file, "a line\n".repeat(3000)).unwrap();
    let probe = test_plugin("probe");
    // Compiled once first, so that the run below shows no first-run line.
    on_a_terminal(&cache, &format!("-p {probe}"));
    let args = format!(
        r#"-p '{probe}={{"report_lines":true,"report":"stderr"}}' {} >/dev/null"#,
        file.display()
    );
    let shown = on_a_terminal(&cache, &args);
    let at = shown
        .find("probe saw 3000 lines")
        .unwrap_or_else(|| panic!("no report: {}", show(shown.as_bytes())));
    let line_start = shown[..at].rfind("stage 1 (").expect("the report's label");
    let before = &shown[..line_start];
    let before = before.strip_suffix("\x1b[36m").unwrap_or(before);
    assert!(
        before.ends_with("\r\x1b[2K") || before.ends_with('\n'),
        "the report does not start a line: {}",
        show(shown.as_bytes())
    );
    // The bar was drawn again after it.
    assert!(
        shown[at..].contains("[00:00:00]"),
        "{}",
        show(shown.as_bytes())
    );
}

/// With stderr a terminal and files as input, a progress bar shows how far sluice is (bytes
/// of the total, rate, time left) and is cleared at the end; never with --no-progress, with
/// -f, with standard input, or when stderr is not a terminal.
#[test]
fn a_progress_bar_over_files_on_a_terminal_only() {
    let cache = tempdir("cli-progress");
    let dir = tempdir("cli-progress-input");
    let file = dir.join("app.log");
    std::fs::write(&file, "a line\n".repeat(3000)).unwrap();
    let file = file.display();
    // Compiled once first, so that the runs below show no first-run line.
    on_a_terminal(&cache, "-p pack");

    let shown = on_a_terminal(&cache, &format!("-p pack {file} >/dev/null"));
    assert!(
        shown.starts_with("[00:00:00]") && shown.contains("/20.51 KiB") && shown.contains("ETA"),
        "{}",
        show(shown.as_bytes())
    );
    assert!(
        shown.ends_with("\r\x1b[2K"),
        "not cleared: {}",
        show(shown.as_bytes())
    );

    for quiet in [
        format!("-p pack --no-progress {file} >/dev/null"),
        "-p pack".to_owned(),
    ] {
        assert_eq!(on_a_terminal(&cache, &quiet), "", "{quiet}");
    }
    // Followed files grow: there is no end to measure against.
    let followed = on_a_terminal(&cache, &format!("-f {file} >/dev/null & sleep 1; kill $!"));
    assert_eq!(followed, "", "{}", show(followed.as_bytes()));

    let piped = run_cmd(sluice().args(["-p", "pack", &file.to_string()]), b"");
    assert_eq!((piped.code, piped.stderr.as_str()), (0, ""));
}

/// The host's own messages follow the same choice: a plugin's report on stderr carries its
/// stage's label in cyan (never in the colours of sluice's own words), and the text stays
/// plain; piped, all of it is plain.
#[test]
fn the_hosts_messages_are_coloured_too() {
    let probe = format!(r#"{}={{"report_lines": true}}"#, test_plugin("probe"));
    let label = format!("stage 1 ({})", test_plugin("probe"));
    // -j 1: a report of what one instance saw.
    let styled = run(&["-j", "1", "--color", "always", "-p", &probe], b"a\n");
    assert_eq!(
        styled.stderr,
        format!("\x1b[36m{label}:\x1b[0m probe saw 1 lines\n"),
        "{}",
        show(styled.stderr.as_bytes())
    );
    let plain = run(&["-j", "1", "-p", &probe], b"a\n");
    assert_eq!(plain.stderr, format!("{label}: probe saw 1 lines\n"));
}

/// A pipeline file with no stage is most likely a mistake: the run goes on (lines pass
/// through) and says so; a slip of `plugin` is named.
#[test]
fn an_empty_pipeline_file_warns_and_a_slip_is_named() {
    let dir = tempdir("cli-empty-pipeline");
    let empty = dir.join("empty.toml");
    std::fs::write(&empty, "# nothing yet\n").unwrap();
    let run = run(&["-c", &empty.display().to_string()], b"a\n");
    assert_eq!((run.code, run.stdout.as_slice()), (0, &b"a\n"[..]));
    assert_eq!(
        run.stderr,
        format!(
            "sluice: warning: {} has no [[stage]] table: without -p, lines pass through \
             unchanged\n",
            empty.display()
        )
    );

    let slip = dir.join("slip.toml");
    std::fs::write(&slip, "[[stage]]\nplugn = \"pack\"\n").unwrap();
    let message = crate::util::run(&["-c", &slip.display().to_string()], b"a\n")
        .fails(2)
        .to_owned();
    assert!(
        message.ends_with("did you mean `plugin` instead of `plugn`?"),
        "{message}"
    );
}
