//! A run on worker lanes writes what a run on one thread writes, byte for byte: every built-in
//! alone, and chains with serial stages between parallel ones, over generated input (CRLF, no
//! final newline, invalid UTF-8, NUL, over-long lines, private key blocks across batches,
//! which `sanitize`'s lanes guess wrong) read in random splits, from two
//! sources one after the other. Both the raw bytes and the JSON form (fields, timestamps,
//! sources) are compared.

use crate::chain::{Chain, Match, Node};
use proptest::prelude::Rng as _;
use proptest::test_runner::{RngAlgorithm, TestRng};

use crate::find_builtin;
use crate::format::OutputFormat;
use crate::input::{Input, Reading};
use crate::pipeline::Pipeline;
use crate::pipeline::tests::Trickle;
use crate::runtime::{Clock, Runtime, RuntimeOptions, Stage, StageGrants};
use crate::selector::Selector;
use crate::settings::Settings;
use crate::sink::{Sink, Tee, WriteSink};

/// A node of a chain under test: a built-in with its config, or a `match` node.
enum Spec {
    Stage(&'static str, &'static str),
    Match(&'static str, Vec<Spec>),
}

use Spec::Stage as S;

/// Small batches and reads, and a small line cap, so that a short input makes many batches,
/// many tickets in flight and over-long lines. Batches of at most `max_batch_lines` lines: with
/// 7, none is small enough to run on the reading thread while none is in flight (see
/// `crate::emit`); with 48, those of one or two lines are.
fn settings(threads: usize, max_batch_lines: usize) -> Settings {
    Settings {
        max_line_bytes: 300,
        boundary_overlap: 40,
        max_batch_lines,
        max_batch_bytes: 700,
        read_size: 512,
        threads,
        ..Settings::default()
    }
}

fn runtime() -> Runtime {
    Runtime::new(RuntimeOptions {
        // 2024-05-01T10:00:00Z: stages that read the clock see the same time in every run.
        clock: Clock::Frozen(1_714_557_600_000_000_000),
        ..RuntimeOptions::default()
    })
    .expect("the engine starts")
}

fn build(runtime: &Runtime, specs: &[Spec], settings: &Settings, prefix: &str) -> Chain {
    let nodes = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let position = format!("{prefix}{}", i + 1);
            match spec {
                Spec::Stage(name, config) => {
                    let builtin = find_builtin(name).expect("a built-in");
                    let plugin = runtime.load(name, builtin.component).expect("it loads");
                    let grants = StageGrants::default();
                    let stage = Stage::new(runtime, &plugin, &position, config, grants, settings);
                    Node::Stage(stage.unwrap_or_else(|err| panic!("{name} {config}: {err}")))
                }
                Spec::Match(selector, nested) => {
                    let selector = Selector::parse(selector).expect("a selector");
                    let nested = build(runtime, nested, settings, &format!("{position}."));
                    Node::Match(Match::new(selector, nested))
                }
            }
        })
        .collect();
    Chain::new(nodes)
}

/// What a run wrote, raw and as JSON, and what each stage counted of the lines (in, out,
/// dropped, emitted) and their bytes (in, out), as `--stats` shows them.
type Ran = (Vec<u8>, Vec<u8>, Vec<[u64; 6]>);

/// What `specs` make of `inputs` (each a source's bytes, read in chunks of the sizes given, in
/// turn), with `threads` threads and batches of at most `max_batch_lines` lines.
fn run(
    specs: &[Spec],
    inputs: &[(&str, &[u8])],
    sizes: &[usize],
    (threads, max_batch_lines): (usize, usize),
) -> Ran {
    let runtime = runtime();
    let settings = settings(threads, max_batch_lines);
    let chain = build(&runtime, specs, &settings, "");
    let parallel = chain.segments().iter().any(|s| s.parallel);
    let mut pipeline = Pipeline::new(chain, settings);
    assert_eq!(pipeline.emitter.is_parallel(), threads > 1 && parallel);
    let raw = WriteSink::new(OutputFormat::Raw, Vec::new());
    let json = WriteSink::new(OutputFormat::Json, Vec::new());
    let mut sink = Tee::new(raw, json);
    for (name, data) in inputs {
        let input = Input::File(name.into());
        let mut reading = Reading::new(&input, &settings);
        let mut rdr = Trickle::new(data, sizes);
        loop {
            let flow = pipeline
                .drain(&mut reading, &mut sink)
                .expect("no stage fails");
            assert!(flow.is_continue());
            if reading.buffer.is_eof() {
                break;
            }
            reading.buffer.fill(&mut rdr).expect("reads from memory");
        }
        let flow = pipeline.emitter.end_source(&reading.source, &mut sink);
        assert!(flow.expect("no stage fails").is_continue());
    }
    pipeline.finish_chain(&mut sink).expect("no stage fails");
    sink.finish().expect("writes to memory");
    GUESSED_WRONG.with(|n| n.set(n.get() + pipeline.emitter.guessed_wrong()));
    TRICKLED.with(|n| n.set(n.get() + pipeline.emitter.trickled()));
    let counts = pipeline
        .emitter
        .chain
        .stages()
        .iter()
        .map(|stage| {
            let r = stage.counters().read(stage.label());
            [
                r.lines_in,
                r.lines_out,
                r.dropped,
                r.emitted,
                r.bytes_in,
                r.bytes_out,
            ]
        })
        .collect();
    let (raw, json) = sink.into_inner();
    (raw.into_inner(), json.into_inner(), counts)
}

thread_local! {
    /// How many batches the runs of this test's thread ran again after a wrong guess.
    static GUESSED_WRONG: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// How many batches the runs of this test's thread ran on the reading thread because they
    /// were small while none was in flight.
    static TRICKLED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn has_parallel(specs: &[Spec]) -> bool {
    // Whether the chain built from `specs` has a parallel segment: asked of a chain built
    // on one thread.
    let runtime = runtime();
    build(&runtime, specs, &settings(1, 7), "")
        .segments()
        .iter()
        .any(|s| s.parallel)
}

/// A deterministic generator from a seed (proptest's), so that a failure can be replayed.
struct Rng(TestRng);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        Rng(TestRng::from_seed(RngAlgorithm::XorShift, &bytes))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0.next_u64() % n
    }
}

/// Log lines of many shapes, with every terminator, odd bytes and over-long lines; the last
/// line has no terminator when `seed` is odd.
fn generated(seed: u64, lines: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for n in 0..lines {
        let level = ["info", "warn", "error", "debug"][rng.below(4) as usize];
        let second = n % 60;
        match rng.below(12) {
            0 => out.extend_from_slice(
                format!(
                    r#"{{"time":"2024-05-01T10:00:{second:02}Z","level":"{level}","msg":"req {n}","n":{n},"ok":true}}"#
                )
                .as_bytes(),
            ),
            1 => out.extend_from_slice(
                format!("2024-05-01T10:00:{second:02}Z stdout F line {n} level={level}").as_bytes(),
            ),
            2 => out.extend_from_slice(
                format!(
                    r#"{{"log":"line {n} level={level}\n","stream":"stdout","time":"2024-05-01T10:00:{second:02}.000000000Z"}}"#
                )
                .as_bytes(),
            ),
            3 => out.extend_from_slice(format!("\x1b[31m{level}\x1b[0m colored {n}").as_bytes()),
            4 => out.extend_from_slice(b"  at com.example.Thing.method(Thing.java:42)"),
            5 => {
                // Over-long: longer than the line cap, with a secret near the cut.
                let len = 300 + rng.below(700) as usize;
                let mut line = vec![b'x'; len];
                let at = 250 + rng.below(30) as usize;
                line[at..at + 19].copy_from_slice(b"4111 1111 1111 1111");
                out.extend_from_slice(&line);
            }
            6 => out.extend_from_slice(b"bad \xff\xfe utf-8 and NUL \0 here level=error"),
            7 => out.extend_from_slice(b""),
            8 => {
                // A private key block of a few lines, which batches of seven lines cut: the
                // batch after the cut starts inside the block (sanitize's carried state).
                out.extend_from_slice(b"key follows\n-----BEGIN RSA PRIVATE KEY-----\n");
                for _ in 0..rng.below(9) {
                    out.extend_from_slice(b"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLez\n");
                }
                out.extend_from_slice(b"-----END RSA PRIVATE KEY-----");
            }
            _ => out.extend_from_slice(
                format!(
                    "2024-05-01T10:00:{second:02}Z level={level} user=u{} latency_ms={} \
                     msg=\"card 4111111111111111 mail a{n}@example.com ip=10.0.{}.{}\" \
                     password=hunter{n}",
                    rng.below(5),
                    rng.below(900),
                    rng.below(255),
                    rng.below(255)
                )
                .as_bytes(),
            ),
        }
        let last = n + 1 == lines;
        if !(last && seed % 2 == 1) {
            out.extend_from_slice(if rng.below(5) == 0 { b"\r\n" } else { b"\n" });
        }
    }
    out
}

/// Random read sizes, from one byte to a few reads' worth.
fn splits(seed: u64) -> Vec<usize> {
    let mut rng = Rng::new(seed + 1000);
    (0..64).map(|_| 1 + rng.below(900) as usize).collect()
}

/// Runs `specs` with one thread and with four, on inputs from three seeds, and compares what
/// they wrote and what the stages counted.
fn same_on_every_thread_count(specs: &[Spec]) {
    same_on_every_thread_count_with(specs, 7);
}

/// [`same_on_every_thread_count`] with batches of at most `max_batch_lines` lines.
fn same_on_every_thread_count_with(specs: &[Spec], max_batch_lines: usize) {
    for seed in 1..=3u64 {
        let first = generated(seed, 150);
        let second = generated(seed + 100, 90);
        let inputs: &[(&str, &[u8])] = &[("first.log", &first), ("second.log", &second)];
        let sizes = splits(seed);
        let one = run(specs, inputs, &sizes, (1, max_batch_lines));
        let four = run(specs, inputs, &sizes, (4, max_batch_lines));
        assert!(!one.1.is_empty() || first.is_empty());
        if (&one.0, &one.1) != (&four.0, &four.1) {
            let (a, b) = (
                String::from_utf8_lossy(&one.1),
                String::from_utf8_lossy(&four.1),
            );
            let at = a.lines().zip(b.lines()).position(|(x, y)| x != y);
            panic!(
                "seed {seed}: -j 4 differs from -j 1 (raw equal: {}); first differing JSON line \
                 {at:?}:\n-j 1: {:?}\n-j 4: {:?}",
                one.0 == four.0,
                at.and_then(|i| a.lines().nth(i)),
                at.and_then(|i| b.lines().nth(i)),
            );
        }
        // A batch a lane ran and that ran again here counts once.
        assert_eq!(one.2, four.2, "seed {seed}: the stages' counts differ");
    }
}

/// Every built-in with a config that makes it act on the generated lines, and whose output
/// depends on no clock and no timing.
const EVERY_BUILTIN: &[(&str, &str)] = &[
    (
        "aggregate",
        r#"{"group_by":["level"],"select":["count","last(user)"],"format":"json"}"#,
    ),
    ("cri", r#"{"max_partial_lines":4}"#),
    ("decolorize", "{}"),
    ("docker", r#"{"merge_partial":true,"max_partial_lines":4}"#),
    (
        "drop",
        r#"{"expression":"level=debug|\"level\":\"debug\""}"#,
    ),
    (
        "fields",
        r#"{"set":{"env":"test"},"rename":{"user":"account"},"drop":["ip"]}"#,
    ),
    ("grep", r#"{"expression":"warn|error|ERROR","context":1}"#),
    ("json", r#"{"error_field":"json_error"}"#),
    ("limit", r#"{"rate":0.000001,"burst":3,"drop":true}"#),
    ("logfmt", "{}"),
    ("luhn", r#"{"replacement":"[CARD]"}"#),
    (
        "metrics",
        r#"{"metrics":{"lines_total":{"type":"counter","description":"All lines."}}}"#,
    ),
    (
        "multiline",
        r#"{"firstline":"^\\S","separator":" | ","max_wait":"24h"}"#,
    ),
    ("outcome", r#"{"skip_trace":true}"#),
    ("output", r#"{"source":"msg","keep_field":false}"#),
    ("pack", "{}"),
    (
        "pattern",
        r#"{"pattern":"<ts> level=<level> user=<user> <_>"}"#,
    ),
    ("prefix", r#"{"parts":["source"],"separator":" | "}"#),
    (
        "regex",
        r#"{"expression":"(?:level=|\"level\":\")(?P<level>\\w+)","mode":"keep"}"#,
    ),
    (
        "replace",
        r#"{"expression":"\\b(\\d+)\\.(\\d+)\\.\\d+\\.\\d+\\b","replace":"$1.$2.x.x"}"#,
    ),
    ("sampling", r#"{"rate":0.5,"by":"line","seed":42}"#),
    ("sanitize", r#"{"literals":["alice"]}"#),
    ("tail", r#"{"lines":3}"#),
    (
        "template",
        r#"{"template":"{{ level|default(\"-\")|upper }} | {{ line }}"}"#,
    ),
    (
        "timestamp",
        r#"{"source":"time","format":"RFC3339","action_on_failure":"skip"}"#,
    ),
    (
        "truncate",
        r#"{"limit":40,"suffix":"...","truncated_field":"truncated"}"#,
    ),
];

#[test]
fn every_builtin_alone_and_after_a_parser() {
    assert_eq!(
        EVERY_BUILTIN.len(),
        crate::BUILTINS.len(),
        "a built-in is missing here"
    );
    for &(name, config) in EVERY_BUILTIN {
        same_on_every_thread_count(&[S(name, config)]);
        // After a parallel parser, with a parallel stage after it: the stage gets fields, and
        // a serial one sits between two parallel segments.
        same_on_every_thread_count(&[S("logfmt", "{}"), S(name, config), S("pack", "{}")]);
    }
}

#[test]
fn sanitize_runs_on_the_lanes_and_a_batch_that_starts_inside_a_key_block_runs_again() {
    let chain = [S("sanitize", "{}"), S("pack", "{}")];
    assert!(has_parallel(&chain[..1]), "sanitize carries its state");
    GUESSED_WRONG.with(|n| n.set(0));
    same_on_every_thread_count(&chain);
    let wrong = GUESSED_WRONG.with(std::cell::Cell::get);
    assert!(wrong > 0, "no batch started inside a key block");
}

/// Small batches handed on while none is in flight run on the reading thread, the others on
/// the lanes, in the same run: the output is still what one thread writes, `sanitize`'s
/// carried state and `grep`'s context included.
#[test]
fn small_batches_with_nothing_in_flight_run_here_among_those_on_the_lanes() {
    TRICKLED.with(|n| n.set(0));
    same_on_every_thread_count_with(
        &[
            S("sanitize", "{}"),
            S("grep", r#"{"expression":"warn|error|ERROR","context":1}"#),
            S("regex", r#"{"expression":"(?i)(?P<level>warn|error)"}"#),
            S("pack", "{}"),
        ],
        48,
    );
    let trickled = TRICKLED.with(std::cell::Cell::get);
    assert!(trickled > 0, "no batch ran on the reading thread");
}

#[test]
fn chains_with_serial_stages_between_parallel_ones() {
    same_on_every_thread_count(&[
        S("sanitize", "{}"),
        S("regex", r#"{"expression":"level=(?P<level>\\w+)"}"#),
        S("pack", "{}"),
    ]);
    same_on_every_thread_count(&[
        S("decolorize", "{}"),
        S("multiline", r#"{"firstline":"^\\S","max_wait":"24h"}"#),
        S("luhn", "{}"),
        S("grep", r#"{"expression":"error|ERROR","context":2}"#),
        S("replace", r#"{"expression":"x{10,}","replace":"[x]"}"#),
        S("tail", r#"{"lines":40}"#),
    ]);
    same_on_every_thread_count(&[
        S("json", "{}"),
        S("fields", r#"{"set":{"env":"test"}}"#),
        S("truncate", r#"{"limit":60}"#),
        S(
            "aggregate",
            r#"{"group_by":["level"],"select":["count"],"pass":true}"#,
        ),
        S("pack", "{}"),
    ]);
}

#[test]
fn match_nodes_fan_out_when_every_nested_stage_may() {
    same_on_every_thread_count(&[
        Spec::Match(
            r#"|~ "level=(warn|error)""#,
            vec![S("luhn", "{}"), S("pack", "{}")],
        ),
        S("replace", r#"{"expression":"u(\\d)","replace":"user-$1"}"#),
    ]);
    same_on_every_thread_count(&[
        S("logfmt", "{}"),
        Spec::Match(r#"{level="error"}"#, vec![S("tail", r#"{"lines":2}"#)]),
        S("pack", "{}"),
    ]);
}
