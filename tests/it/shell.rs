//! `doctor`, `completions`, `man`, the kernel switch and the quiet progress, as a user runs them.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;

fn threatlens() -> Command {
    Command::cargo_bin("threatlens").unwrap()
}

fn stdout_of(args: &[&str]) -> String {
    let out = threatlens().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const SUBCOMMANDS: [&str; 8] = [
    "summary",
    "detect",
    "report",
    "demo",
    "doctor",
    "completions",
    "man",
    "help",
];

#[test]
fn completions_name_every_subcommand_in_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.len() > 500, "{shell}: {} bytes", script.len());
        for sub in &SUBCOMMANDS[..7] {
            assert!(script.contains(sub), "{shell} completions lack {sub}");
        }
        assert!(script.contains("contamination"), "{shell}: options too");
    }
    let bad = threatlens().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let page = stdout_of(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH threatlens"),
        "{}",
        &page[..80]
    );
    for sub in &SUBCOMMANDS[..7] {
        assert!(
            page.contains(&format!("threatlens\\-{sub}")),
            "man page lacks {sub}"
        );
    }
    assert!(page.contains("contamination"));
}

#[test]
fn version_alone_is_one_line_and_verbose_adds_the_kernel_and_threads() {
    let plain = stdout_of(&["--version"]);
    assert_eq!(plain, format!("threatlens {}\n", env!("CARGO_PKG_VERSION")));
    assert_eq!(stdout_of(&["-V"]), plain);
    for args in [["--version", "--verbose"], ["--verbose", "-V"]] {
        let out = threatlens()
            .args(args)
            .env("THREATLENS_KERNEL", "portable")
            .env("RAYON_NUM_THREADS", "1")
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with(&plain), "{text}");
        assert!(
            text.contains("scoring kernel: portable"),
            "{args:?}: {text}"
        );
        assert!(text.contains("threads: 1 (RAYON_NUM_THREADS=1)"), "{text}");
    }
    // --verbose means nothing without --version: a usage error, not a silent no-op.
    let bad = threatlens().arg("--verbose").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn doctor_names_the_kernel_the_reason_and_the_threads() {
    let text = stdout_of(&["doctor"]);
    for line in [
        "scoring kernel: ",
        "because: ",
        "vector extensions: ",
        "threads: ",
    ] {
        assert!(text.contains(line), "doctor lacks {line:?}: {text}");
    }
    let out = threatlens()
        .arg("doctor")
        .env("THREATLENS_KERNEL", "portable")
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("scoring kernel: portable"), "{text}");
    assert!(text.contains("threads: 1 (RAYON_NUM_THREADS=1)"), "{text}");
}

#[test]
fn a_bad_kernel_name_is_refused_with_the_choices() {
    let out = threatlens()
        .arg("doctor")
        .env("THREATLENS_KERNEL", "sse9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("'sse9'") && err.contains("avx2"), "{err}");
}

#[test]
fn every_kernel_gives_the_same_detection() {
    let demo = threatlens()
        .args(["demo", "--rows", "3000", "--seed", "5"])
        .output()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("d.csv");
    std::fs::write(&csv, demo.stdout).unwrap();
    let csv = csv.display().to_string();
    let run = |kernel: &str| {
        let out = threatlens()
            .args(["detect", &csv, "--format", "csv"])
            .env("THREATLENS_KERNEL", kernel)
            .output()
            .unwrap();
        assert!(out.status.success(), "{kernel}");
        // Not a terminal: no progress bar, even without --quiet.
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let portable = run("portable");
    assert!(portable.len() > 3000 * 4);
    assert_eq!(run("avx2"), portable);
    assert_eq!(run("avx512"), portable);
}

#[test]
fn quiet_is_accepted_by_every_headless_command() {
    for sub in ["summary", "detect", "report"] {
        let out = threatlens().args([sub, "-", "--quiet"]).write_stdin(
            "bytes_in,bytes_out,creation_time,end_time,src_ip,src_ip_country_code,protocol,response.code,dst_port,dst_ip,rule_names,observation_name,source.meta,source.name,time,detection_types\n",
        ).output().unwrap();
        // An empty file is bad input (exit 2), but --quiet itself is not a usage error.
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("unexpected argument"), "{sub}: {err}");
    }
}
