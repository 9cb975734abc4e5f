//! The findings report: its facts agree with `summary` and `detect`, and its
//! HTML is inert against hostile text (and renders in headless Chromium when
//! one is installed; `.ci/run` installs it).

use assert_cmd::Command;
use serde_json::Value;

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("threatlens")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
#[ignore = "needs THREATLENS_SHARED"]
fn report_on_the_real_file_agrees_with_summary_and_detect() {
    let (csv, _) = crate::common::real_data("report on the real file");
    let path = csv.display().to_string();
    let (code, md) = run(&["report", &path]);
    assert_eq!(code, 0);
    let (_, json) = run(&["report", &path, "--format", "json"]);
    let f: Value = serde_json::from_str(&json).unwrap();
    let (_, det) = run(&["detect", &path, "--format", "json"]);
    let d: Value = serde_json::from_str(&det).unwrap();
    let (_, sum) = run(&["summary", &path, "--format", "json"]);
    let s: Value = serde_json::from_str(&sum).unwrap();

    assert_eq!(f["suspicious_ips"][0]["src_ip"], "155.91.45.242");
    assert_eq!(f["geography"][0]["country"], "US");
    assert_eq!(f["geography"][1]["country"], "CA");
    assert_eq!(f["overview"]["rows"], s["rows"]);
    assert_eq!(f["overview"]["unique_src_ips"], s["unique_src_ips"]);
    assert_eq!(f["anomalies"]["flagged"], d["anomalies"]);
    assert_eq!(f["anomalies"]["threshold"], d["threshold"]);
    let top_ip = &d["by_ip"][0];
    assert_eq!(f["suspicious_ips"][0]["flagged"], top_ip["flagged"]);
    assert_eq!(f["suspicious_ips"][0]["sessions"], top_ip["sessions"]);

    // The Markdown says it in words, with the real numbers.
    let flagged = top_ip["flagged"].as_u64().unwrap();
    assert!(
        md.contains(&format!(
            "Block or rate-limit 155.91.45.242: {flagged} of its 28 sessions flagged"
        )),
        "{md}"
    );
    assert!(md.contains("| US | 113 |"), "{md}");
    assert!(md.contains("| CA | 72 |"), "{md}");
    assert!(
        md.contains("Quiet gap: no traffic from 2024-04-26T02:00:00Z"),
        "{md}"
    );
}

const HOSTILE: &str = "bytes_in,bytes_out,src_ip,src_ip_country_code,rule_names\n\
10,20,1.2.3.4,US,<script>alert('x')</script>\n\
11,21,1.2.3.5,\"\x1b]2;pwned\x07\",\"\x1b]52;c;ZXZpbA==\x07 & \x1b[2J\"\n\
5000000,10,1.2.3.6,<img src=x onerror=alert(1)>,ok\n";

#[test]
fn hostile_text_is_inert_in_every_report_format() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("hostile.csv");
    std::fs::write(&p, HOSTILE).unwrap();
    let path = p.display().to_string();
    for fmt in ["md", "json", "html"] {
        let (code, out) = run(&["report", &path, "--format", fmt]);
        assert_eq!(code, 0, "{fmt}");
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "{fmt}: control bytes leaked"
        );
        if fmt == "html" {
            assert!(!out.contains("<script>"), "{fmt}: raw script tag");
            assert!(!out.contains("<img"), "{fmt}: raw img tag");
        }
        if fmt == "md" {
            // Markdown keeps the text but escapes every angle bracket.
            assert_eq!(
                out.matches("<img").count(),
                out.matches("\\<img").count(),
                "{out}"
            );
            assert_eq!(
                out.matches("<script").count(),
                out.matches("\\<script").count(),
                "{out}"
            );
        }
    }
    let (_, html) = run(&["report", &path, "--format", "html"]);
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script"), "no script element at all");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "self-contained"
    );
    chromium_renders(&html, dir.path());
}

/// Opens the HTML in headless Chromium when one is installed and checks the DOM.
fn chromium_renders(html: &str, dir: &std::path::Path) {
    let Some(bin) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!("skipped: headless Chromium check (no chromium installed; .ci/run installs it)");
        return;
    };
    let file = dir.join("report.html");
    std::fs::write(&file, html).unwrap();
    let profile = dir.join("profile");
    let out = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("Recommendations"),
        "rendered DOM lacks the report: {dom}"
    );
    assert!(
        dom.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "hostile text must stay text in the DOM"
    );
    assert!(!dom.contains("<img"), "no image element was created");
    assert!(!dom.contains("<script"), "no script element was created");
}

#[test]
fn a_constant_label_is_named_in_a_whole_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.csv");
    let (code, _) = run(&["demo", "-o", demo.to_str().unwrap()]);
    assert_eq!(code, 0);
    // Every row labelled normal: the label cannot score the detector.
    let text = std::fs::read_to_string(&demo).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.ends_with(",label"), "{header}");
    let mut constant = format!("{header}\n");
    for l in lines {
        let (rest, _) = l.rsplit_once(',').unwrap();
        constant.push_str(&format!("{rest},0\n"));
    }
    let path = dir.path().join("constant.csv");
    std::fs::write(&path, constant).unwrap();
    let (code, md) = run(&["report", path.to_str().unwrap(), "--label", "label"]);
    assert_eq!(code, 0);
    let eval = md.split("## Evaluation").nth(1).unwrap();
    let para = eval.trim_start().lines().next().unwrap();
    assert!(
        para.starts_with("The label is the same (normal) for all "),
        "{para}"
    );
    assert!(para.ends_with("meaningless)."), "{para}");
    assert!(!md.contains("The detector the label"), "{md}");
    let (_, html) = run(&[
        "report",
        path.to_str().unwrap(),
        "--label",
        "label",
        "--format",
        "html",
    ]);
    assert!(html.contains("<h2>Evaluation</h2><p>The label is the same (normal)"));
}
