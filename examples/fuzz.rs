//! A structure-aware mutation fuzzer on stable Rust: takes the fixtures of
//! one input kind as seeds, mutates them (byte flips, cuts, splices between
//! seeds, hostile pieces inserted, slices repeated thousands of times to
//! build deep nesting and long chains) and runs pipelint on each mutant
//! in-process, rendering every machine format.
//!
//! ```text
//! cargo run --release --example fuzz -- --kind sql --minutes 10 [--seed N] [--out fuzz-crashes]
//! ```
//!
//! Kinds: sql, python, jinja, schema-yaml, dbt-project, pipeline-toml,
//! codeowners, manifest-json. A panicking input is saved to
//! `<out>/<kind>-<n>.bin`; the input being run is kept in
//! `<out>/<kind>-current.bin`, so one that aborts the process (a stack
//! overflow) is there afterwards. Prints cases run and crashes found.

#[path = "../tests/fuzz_kinds/mod.rs"]
mod fuzz_kinds;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fuzz_kinds::{Kind, Scratch, HOSTILE, KINDS};

/// xorshift64*: a small deterministic generator, so a seed replays a run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One mutation of `input`, drawing on the other seeds.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    let len = input.len();
    match rng.below(8) {
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let a = rng.below(len);
            let b = (a + rng.below(64)).min(len);
            input.drain(a..b);
        }
        2 => {
            let piece = HOSTILE[rng.below(HOSTILE.len())];
            let i = rng.below(len + 1);
            input.splice(i..i, piece.bytes());
        }
        3 if len > 0 => {
            // Repeat a short slice many times: deep nesting, long chains.
            let a = rng.below(len);
            let b = (a + 1 + rng.below(16)).min(len);
            let times = 1 + rng.below(20_000);
            let slice = input[a..b].repeat(times);
            input.splice(b..b, slice);
        }
        4 => {
            let piece = HOSTILE[rng.below(HOSTILE.len())].repeat(1 + rng.below(5_000));
            let i = rng.below(len + 1);
            input.splice(i..i, piece.into_bytes());
        }
        5 => {
            let other = &seeds[rng.below(seeds.len())];
            if !other.is_empty() {
                let a = rng.below(other.len());
                let b = (a + rng.below(256)).min(other.len());
                let i = rng.below(len + 1);
                input.splice(i..i, other[a..b].iter().copied());
            }
        }
        6 if len > 0 => {
            let i = rng.below(len);
            input[i] = [0u8, 0xff, 0x80, b'\n', b'\r', b'\t', b'"', b'\''][rng.below(8)];
        }
        _ => {
            let i = rng.below(len + 1);
            input.truncate(i);
        }
    }
    // Stay within what pipelint reads (larger files are refused unread).
    input.truncate(4 << 20);
}

struct Args {
    kind: Kind,
    name: String,
    budget: Duration,
    seed: u64,
    out: PathBuf,
}

fn args() -> Result<Args, String> {
    let mut kind = None;
    let mut minutes = 1.0f64;
    let mut seed = 0x5eed_u64;
    let mut out = PathBuf::from("fuzz-crashes");
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--kind" => kind = Some(value()?),
            "--minutes" => minutes = value()?.parse().map_err(|e| format!("--minutes: {e}"))?,
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--out" => out = PathBuf::from(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let names: Vec<&str> = KINDS.iter().map(|(_, n)| *n).collect();
    let name = kind.ok_or(format!("--kind is one of {}", names.join(", ")))?;
    let kind = Kind::named(&name).ok_or(format!("--kind is one of {}", names.join(", ")))?;
    Ok(Args {
        kind,
        name,
        budget: Duration::from_secs_f64(minutes * 60.0),
        seed: seed.max(1),
        out,
    })
}

fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fuzz: {e}");
            std::process::exit(2);
        }
    };
    std::fs::create_dir_all(&args.out).expect("the output folder can be made");
    // Panics are counted and saved, not printed one by one.
    std::panic::set_hook(Box::new(|_| {}));
    let seeds = args.kind.seeds();
    let scratch = Scratch::new(args.kind);
    let mut rng = Rng(args.seed);
    let current = args.out.join(format!("{}-current.bin", args.name));
    let start = Instant::now();
    let (mut cases, mut crashes) = (0u64, 0u64);
    while start.elapsed() < args.budget {
        let mut input = seeds[rng.below(seeds.len())].clone();
        for _ in 0..1 + rng.below(6) {
            mutate(&mut rng, &mut input, &seeds);
        }
        let _ = std::fs::write(&current, &input);
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scratch.run(&input)));
        cases += 1;
        if outcome.is_err() {
            crashes += 1;
            let path = args.out.join(format!("{}-{crashes}.bin", args.name));
            let _ = std::fs::write(&path, &input);
            eprintln!("fuzz: crash saved to {}", path.display());
        }
        if cases % 500 == 0 {
            eprintln!(
                "fuzz: {} {cases} cases, {crashes} crashes, {:.0} s",
                args.name,
                start.elapsed().as_secs_f64()
            );
        }
    }
    let _ = std::fs::remove_file(&current);
    println!(
        "fuzz {}: {cases} cases in {:.0} s, {crashes} crashes (seed {})",
        args.name,
        start.elapsed().as_secs_f64(),
        args.seed
    );
}
