//! `sampling`: see docs/stages/sampling.md.

use std::collections::HashMap;

use insta::assert_snapshot;

use crate::util::{Bytes, run, show, transform};

const PIECES: [&str; 4] = ["--max-line-bytes", "64", "--boundary-overlap", "16"];

/// `n` numbered access-log lines.
fn numbered(n: usize) -> String {
    (1..=n)
        .map(|i| format!("10.0.0.{} GET /item/{i} 200\n", i % 250))
        .collect()
}

/// The numbers of the lines kept, in order.
fn kept_numbers(out: &[u8]) -> Vec<usize> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .map(|l| {
            l.rsplit_once("/item/")
                .unwrap()
                .1
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

fn sample(config: &str, input: &[u8]) -> Vec<u8> {
    transform(&["-p", &format!("sampling={config}")], input)
}

#[test]
fn by_position_is_the_same_on_every_run_and_differs_by_seed() {
    let input = numbered(40);
    let first = sample(r#"{"rate": 0.5}"#, input.as_bytes());
    let again = sample(r#"{"rate": 0.5}"#, input.as_bytes());
    assert!(first == again, "two runs kept different lines");
    assert_snapshot!(format!("{:?}", kept_numbers(&first)), @"[2, 3, 5, 6, 7, 9, 11, 17, 19, 24, 27, 28, 32, 33, 34, 36, 37, 38, 39, 40]");
    let seeded = sample(r#"{"rate": 0.5, "seed": 1}"#, input.as_bytes());
    assert!(seeded == sample(r#"{"rate": 0.5, "seed": 1}"#, input.as_bytes()));
    assert_ne!(kept_numbers(&first), kept_numbers(&seeded));
    assert_snapshot!(format!("{:?}", kept_numbers(&seeded)), @"[4, 5, 9, 11, 13, 15, 16, 21, 22, 23, 24, 25, 26, 29, 33, 34, 35]");
    // The default seed is 0.
    assert!(first == sample(r#"{"rate": 0.5, "seed": 0}"#, input.as_bytes()));
}

/// SplitMix64, as the docs describe the `position` draw: the n-th line gets the n-th output
/// of the generator seeded with `seed`, and is kept when that is below `rate × 2⁶⁴`.
fn splitmix_kept(seed: u64, rate: f64, lines: usize) -> Vec<usize> {
    let mut state = seed;
    let threshold = (rate * 18_446_744_073_709_551_616.0) as u128;
    (1..=lines)
        .filter(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            u128::from(z ^ (z >> 31)) < threshold
        })
        .collect()
}

#[test]
fn by_position_follows_the_documented_generator_across_batches() {
    // 5000 lines make several batches (at most 1024 lines each): the decisions depend only on
    // the seed and the order, and match SplitMix64 as documented.
    let input = numbered(5000);
    for (seed, rate) in [(0, 0.1), (20241010, 0.25), (u64::MAX, 0.9)] {
        let config = format!(r#"{{"rate": {rate}, "seed": {seed}}}"#);
        let kept = kept_numbers(&sample(&config, input.as_bytes()));
        assert_eq!(
            kept,
            splitmix_kept(seed, rate, 5000),
            "seed {seed} rate {rate}"
        );
        let share = kept.len() as f64 / 5000.0;
        assert!((share - rate).abs() < 0.03, "kept {share} for rate {rate}");
    }
}

#[test]
fn rate_zero_keeps_nothing_and_one_everything() {
    let input = b"a\n\n\xff\0\r\nlast";
    assert_eq!(sample(r#"{"rate": 0}"#, input), b"");
    assert_eq!(sample(r#"{"rate": 0, "by": "line"}"#, input), b"");
    assert_eq!(sample(r#"{"rate": 1}"#, input), input);
    assert_eq!(
        sample(r#"{"rate": 1.0, "by": "line", "seed": 7}"#, input),
        input
    );
}

#[test]
fn by_line_equal_lines_share_a_fate() {
    // 40 distinct lines, each repeated 3 times in a shuffled order: every copy of a line is
    // kept or dropped with the others, and the same lines are kept in another order.
    let distinct: Vec<String> = (0..40).map(|i| format!("GET /health/{i} 200")).collect();
    let mut rng = Bytes::new(11);
    let mut order: Vec<&String> = distinct.iter().chain(&distinct).chain(&distinct).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    let shuffled: String = order.iter().map(|l| format!("{l}\n")).collect();
    let sorted: String = distinct.iter().map(|l| format!("{l}\n")).collect();
    let config = r#"{"rate": 0.5, "by": "line", "seed": 3}"#;
    let out = String::from_utf8(sample(config, shuffled.as_bytes())).unwrap();
    let mut copies: HashMap<&str, usize> = HashMap::new();
    for line in out.lines() {
        *copies.entry(line).or_default() += 1;
    }
    assert!(copies.values().all(|&n| n == 3), "{copies:?}");
    let kept_sorted = String::from_utf8(sample(config, sorted.as_bytes())).unwrap();
    let mut a: Vec<&str> = copies.keys().copied().collect();
    a.sort_by_key(|l| l[12..l.len() - 4].parse::<u32>().unwrap());
    assert_eq!(a, kept_sorted.lines().collect::<Vec<_>>());
    assert!(!a.is_empty() && a.len() < 40, "{}", a.len());
    // Which ones is fixed: a change would be a breaking change.
    let numbers: Vec<&str> = a.iter().map(|l| &l[12..l.len() - 4]).collect();
    assert_snapshot!(numbers.join(" "), @"1 4 6 7 10 11 12 13 15 16 20 21 23 24 25 26 27 28 33 34 37 38 39");
    // Another seed, another share.
    let other = String::from_utf8(sample(
        r#"{"rate": 0.5, "by": "line", "seed": 4}"#,
        sorted.as_bytes(),
    ))
    .unwrap();
    assert_ne!(other, kept_sorted);
}

#[test]
fn by_line_judges_the_bytes_odd_ones_included() {
    // Bytes that are not UTF-8, NUL, `\r` and empty lines are hashed like any other; kept
    // lines come out unchanged, with their terminators. Distinct lines get distinct fates.
    let lines: [&[u8]; 8] = [
        b"",
        b"\xff\xfe",
        b"\0",
        b"nul\0here",
        b"lone\rcr",
        b"caf\xe9",
        b"plain",
        b"plain.",
    ];
    let mut input = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        input.extend_from_slice(line);
        input.extend_from_slice(if i % 2 == 0 { b"\r\n" } else { b"\n" });
    }
    input.extend_from_slice(b"no final newline");
    let out = sample(r#"{"rate": 0.5, "by": "line", "seed": 1}"#, &input);
    assert_snapshot!(show(&out), @r#"
    \r
    \0\r
    nul\0here
    no final newline[no final newline]
    "#);
    // Run again: the same ones are kept.
    assert!(out == sample(r#"{"rate": 0.5, "by": "line", "seed": 1}"#, &input));
}

#[test]
fn by_field_keeps_or_drops_a_trace_whole() {
    let mut input = String::new();
    let mut rng = Bytes::new(5);
    for i in 0..200 {
        let trace = format!("{:016x}", rng.next_u64() % 30 + 0x4bf9_2f35_77b3_4da6);
        input.push_str(&format!(
            "{{\"trace_id\":\"{trace}\",\"msg\":\"step {i}\"}}\n"
        ));
        if i % 50 == 0 {
            input.push_str("{\"msg\":\"service starting\"}\n");
        }
    }
    let config =
        r#"sampling={"rate": 0.25, "by": "field", "source": "trace_id", "seed": 20241010}"#;
    let out = transform(&["-p", "json", "-p", config], input.as_bytes());
    let out = String::from_utf8(out).unwrap();
    let trace_of = |l: &str| l.split('"').nth(3).map(str::to_owned);
    let kept: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with("{\"trace_id\""))
        .map(|l| trace_of(l).unwrap())
        .collect();
    // Every line of a kept trace is there, none of a dropped one; lines without the field
    // are all kept.
    for line in input.lines().filter(|l| l.starts_with("{\"trace_id\"")) {
        let trace = trace_of(line).unwrap();
        assert_eq!(out.contains(line), kept.contains(&trace), "{line}");
    }
    assert_eq!(out.matches("service starting").count(), 4);
    let mut traces = kept.clone();
    traces.sort();
    traces.dedup();
    assert!(!traces.is_empty() && traces.len() < 30, "{}", traces.len());
    // `source` alone implies by field, and the same seed keeps the same traces.
    let implied = transform(
        &[
            "-p",
            "json",
            "-p",
            r#"sampling={"rate": 0.25, "source": "trace_id", "seed": 20241010}"#,
        ],
        input.as_bytes(),
    );
    assert_eq!(String::from_utf8(implied).unwrap(), out);
    assert_snapshot!(traces.join(" "), @"4bf92f3577b34da7 4bf92f3577b34daa 4bf92f3577b34daf 4bf92f3577b34db6 4bf92f3577b34db9 4bf92f3577b34dbb 4bf92f3577b34dc1");
}

#[test]
fn kept_lines_keep_their_fields_and_timestamp() {
    let input = b"ts=1717243200 a\nts=1717243201 b\nts=1717243202 c\nts=1717243203 d\n";
    let out = transform(
        &[
            "-p",
            "logfmt",
            "-p",
            r#"timestamp={"source": "ts", "format": "Unix"}"#,
            "-p",
            r#"sampling={"rate": 0.5}"#,
            "-o",
            "json",
        ],
        input,
    );
    assert_snapshot!(show(&out), @r#"
    {"line":"ts=1717243201 b","timestamp":"2024-06-01T12:00:01Z","fields":{"ts":1717243201,"b":""}}
    {"line":"ts=1717243202 c","timestamp":"2024-06-01T12:00:02Z","fields":{"ts":1717243202,"c":""}}
    "#);
}

#[test]
fn over_long_lines_are_kept_or_dropped_whole() {
    // Pieces of 48 bytes: one draw per line, from its first piece; every piece follows. So
    // each output line is a whole input line, and the decisions are those of the lines'
    // positions, as if no line were long.
    let mut input = String::new();
    let mut short = String::new();
    for i in 1..=60 {
        let tail = if i % 3 == 0 {
            "x".repeat(200 + i)
        } else {
            String::new()
        };
        input.push_str(&format!("10.0.0.1 GET /item/{i} 200 {tail}\n"));
        short.push_str(&format!("10.0.0.1 GET /item/{i} 200 \n"));
    }
    let mut args = PIECES.to_vec();
    args.extend(["-p", r#"sampling={"rate": 0.5, "seed": 9}"#]);
    let out = String::from_utf8(transform(&args, input.as_bytes())).unwrap();
    for line in out.lines() {
        assert!(input.lines().any(|l| l == line), "not a whole line: {line}");
    }
    assert_eq!(
        kept_numbers(out.as_bytes()),
        kept_numbers(&sample(r#"{"rate": 0.5, "seed": 9}"#, short.as_bytes()))
    );
    assert_eq!(kept_numbers(out.as_bytes()), splitmix_kept(9, 0.5, 60));
}

#[test]
fn by_line_over_long_lines_are_judged_by_their_first_piece() {
    // Two over-long lines with the same first 48 bytes share a fate, whatever follows; kept,
    // they come out whole.
    let head = "2024-06-01T12:00:00Z level=info msg=\"payload dump";
    assert!(head.len() >= 48);
    let mut input = String::new();
    for i in 0..40 {
        input.push_str(&format!("{head} {i:03} {}\n", "p".repeat(100 + i)));
    }
    let mut args = PIECES.to_vec();
    args.extend(["-p", r#"sampling={"rate": 0.5, "by": "line"}"#]);
    let out = String::from_utf8(transform(&args, input.as_bytes())).unwrap();
    assert!(out.is_empty() || out == input, "all or none of them");
    // Among lines of different first pieces, some are kept and some dropped.
    let varied: String = (0..40)
        .map(|i| format!("{i:03} {head} {}\n", "p".repeat(100)))
        .collect();
    let out = String::from_utf8(transform(&args, varied.as_bytes())).unwrap();
    assert!(!out.is_empty() && out != varied);
    for line in out.lines() {
        assert!(
            varied.lines().any(|l| l == line),
            "not a whole line: {line}"
        );
    }
}

#[test]
fn by_field_over_long_lines_are_kept() {
    // The first piece has no fields: such a line is kept, even at rate 0.
    let long = "x".repeat(300);
    let input = format!("short\n{long}\nshort again\n");
    let mut args = PIECES.to_vec();
    args.extend([
        "-p",
        r#"fields={"set": {"trace_id": "abc"}}"#,
        "-p",
        r#"sampling={"rate": 0, "source": "trace_id"}"#,
    ]);
    let out = String::from_utf8(transform(&args, input.as_bytes())).unwrap();
    assert_eq!(out, format!("{long}\n"));
}

#[test]
fn config_errors_name_the_key() {
    let error = |config: &str| run(&["-p", config], b"").fails(2).to_owned();
    assert_snapshot!(error("sampling"), @"sluice: stage 1 (sampling): config key `rate`: is required (a number from 0 to 1)");
    assert_snapshot!(error(r#"sampling={"rate": 1.5}"#), @"sluice: stage 1 (sampling): config key `rate`: must be from 0 to 1 (0.1 keeps 10% of the lines), got 1.5");
    assert_snapshot!(error(r#"sampling={"rate": -0.1}"#), @"sluice: stage 1 (sampling): config key `rate`: must be from 0 to 1 (0.1 keeps 10% of the lines), got -0.1");
    assert_snapshot!(error(r#"sampling={"rate": "0.5"}"#), @"sluice: stage 1 (sampling): config key `rate`: expected a number, got a string");
    assert_snapshot!(error(r#"sampling={"rate": 0.5, "by": "host"}"#), @r#"sluice: stage 1 (sampling): config key `by`: unknown value "host"; expected one of: position, line, field"#);
    assert_snapshot!(error(r#"sampling={"rate": 0.5, "by": "field"}"#), @r#"sluice: stage 1 (sampling): config key `source`: is required when "by" is "field": name the field to hash"#);
    assert_snapshot!(error(r#"sampling={"rate": 0.5, "by": "line", "source": "x"}"#), @r#"sluice: stage 1 (sampling): config key `source`: only applies when "by" is "field", but it is "line"; remove "source" or set "by" to "field""#);
    assert_snapshot!(error(r#"sampling={"rate": 0.5, "seed": -1}"#), @"sluice: stage 1 (sampling): config key `seed`: expected a non-negative integer, got -1");
}
