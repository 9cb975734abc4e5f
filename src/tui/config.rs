//! The config file: detection parameters, theme and key overrides.
//!
//! Found at `--config PATH`, else `$THREATLENS_CONFIG`, else `config.toml` in the
//! platform config directory (`directories::ProjectDirs`). A missing file is
//! fine; a bad entry produces a warning and keeps the default — never a crash.
//! [`DEFAULT_CONFIG`] is the commented example a test parses.

use crate::detect::defaults::TREES_RANGE;
use crate::detect::pipeline::DetectParams;
use std::path::{Path, PathBuf};

/// The commented default configuration.
pub const DEFAULT_CONFIG: &str = r#"# threatlens configuration (config.toml)
# Every entry is optional; a bad entry is reported and its default kept.

# A MaxMind country database (.mmdb: GeoLite2-Country or -City, DB-IP lite) for src_country and
# dst_country of flow logs. --geoip PATH wins over $THREATLENS_GEOIP, which wins over this.
# geoip = "/usr/share/GeoIP/GeoLite2-Country.mmdb"

[detect]
# Features for the isolation forest (columns or derived features).
# Empty: bytes_in, bytes_out, bytes_per_sec for CloudWatch files, all numeric columns otherwise.
features = []
# Features to transform with log1p before fitting (helps with heavy-tailed byte counts).
log1p = []
trees = 100
# Rows per tree; 0 means min(256, rows).
sample = 0
seed = 42
# Fraction flagged (0 < c <= 0.5) or "auto".
contamination = 0.05

[ui]
# "color" or "mono" (NO_COLOR in the environment also turns colour off).
theme = "color"

[keys]
# Override any binding by its name (see the help screen, ?), e.g.
# quit = ["q", "ctrl-c"]
# filter = ["f", "/"]
"#;

/// What the config file says.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub params: Option<DetectParams>,
    pub contamination: Option<String>,
    pub theme: Option<String>,
    pub keys: Vec<(String, Vec<String>)>,
    /// `geoip = "PATH"`: the country database (relative paths are the config file's folder's).
    pub geoip: Option<PathBuf>,
    pub warnings: Vec<String>,
    pub path: Option<PathBuf>,
}

/// The config path in effect.
pub fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("THREATLENS_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "threatlens").map(|d| d.config_dir().join("config.toml"))
}

/// Loads the config (a missing default file is not an error; a missing explicit one warns).
pub fn load(explicit: Option<&Path>) -> Config {
    let Some(path) = config_path(explicit) else {
        return Config::default();
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let mut c = parse(&text);
            if let (Some(db), Some(dir)) = (&mut c.geoip, path.parent())
                && db.is_relative()
            {
                *db = dir.join(&*db);
            }
            c.path = Some(path);
            c
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
            Config::default()
        }
        Err(e) => Config {
            warnings: vec![format!(
                "config {}: cannot read: {}; using the defaults",
                path.display(),
                crate::ingest::io_cause(&e)
            )],
            ..Config::default()
        },
    }
}

fn strings(v: &toml::Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// Parses config text; every problem becomes a warning.
pub fn parse(text: &str) -> Config {
    let mut c = Config::default();
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            c.warnings.push(format!(
                "config: not valid TOML ({}); using the defaults",
                e.message()
            ));
            return c;
        }
    };
    match table.get("geoip").map(|v| v.as_str()) {
        Some(Some(p)) if !p.trim().is_empty() => c.geoip = Some(PathBuf::from(p.trim())),
        Some(_) => c
            .warnings
            .push("config: geoip must be the path of a .mmdb file, in quotes; ignored".into()),
        None => {}
    }
    let mut params = DetectParams::default();
    let mut any = false;
    if let Some(d) = table.get("detect").and_then(|d| d.as_table()) {
        for (k, v) in d {
            let ok = match k.as_str() {
                "features" => strings(v).map(|f| params.features = f).is_some(),
                "log1p" => strings(v).map(|f| params.log1p = f).is_some(),
                "trees" => v
                    .as_integer()
                    .filter(|n| usize::try_from(*n).is_ok_and(|n| TREES_RANGE.contains(&n)))
                    .map(|n| params.trees = n as usize)
                    .is_some(),
                "sample" => v
                    .as_integer()
                    .filter(|n| *n >= 0)
                    .map(|n| params.sample = (n > 0).then_some(n as usize))
                    .is_some(),
                "seed" => v
                    .as_integer()
                    .filter(|n| *n >= 0)
                    .map(|n| params.seed = n as u64)
                    .is_some(),
                "contamination" => {
                    let s = v
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| v.as_float().map(|f| f.to_string()));
                    match s.as_deref().map(str::parse::<crate::detect::Contamination>) {
                        Some(Ok(_)) => {
                            c.contamination = s;
                            true
                        }
                        _ => false,
                    }
                }
                _ => {
                    c.warnings
                        .push(format!("config: unknown setting detect.{k}; ignored"));
                    continue;
                }
            };
            if ok {
                any = true
            } else {
                c.warnings.push(format!(
                    "config: detect.{k} = {v} is not valid; kept the default"
                ));
            }
        }
    }
    if any {
        c.params = Some(params);
    }
    if let Some(ui) = table.get("ui").and_then(|d| d.as_table()) {
        match ui.get("theme").map(|t| t.as_str()) {
            Some(Some(t @ ("color" | "mono"))) => c.theme = Some(t.to_string()),
            Some(_) => c
                .warnings
                .push("config: ui.theme must be \"color\" or \"mono\"; kept the default".into()),
            None => {}
        }
    }
    if let Some(keys) = table.get("keys").and_then(|d| d.as_table()) {
        for (k, v) in keys {
            match strings(v).or_else(|| v.as_str().map(|s| vec![s.to_string()])) {
                Some(list) => c.keys.push((k.clone(), list)),
                None => c.warnings.push(format!(
                    "config: keys.{k} must be a list of keys; kept the default"
                )),
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commented_default_config_parses_cleanly() {
        let c = parse(DEFAULT_CONFIG);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let p = c.params.unwrap_or_else(|| panic!("params"));
        assert_eq!((p.trees, p.sample, p.seed), (100, None, 42));
        assert_eq!(c.contamination.as_deref(), Some("0.05"));
        assert_eq!(c.theme.as_deref(), Some("color"));
    }

    #[test]
    fn tree_counts_allowed_are_the_clis() {
        // The CLI takes 1..=100000 trees; the config took only up to 10000.
        let end = *TREES_RANGE.end();
        let c = parse(&format!("[detect]\ntrees = {end}\n"));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(c.params.map(|p| p.trees), Some(end));
        let c = parse(&format!("[detect]\ntrees = {}\n", end + 1));
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        let p = parse("").params.unwrap_or_default();
        let cli = crate::detect::ForestParams::default();
        assert_eq!((p.trees, p.seed), (cli.trees, cli.seed));
    }

    #[test]
    fn bad_entries_warn_and_keep_defaults() {
        let c = parse(
            "[detect]\ntrees = -3\nseed = 7\nbogus = 1\ncontamination = 0.9\n[ui]\ntheme = 3\n[keys]\nquit = 5\n",
        );
        assert_eq!(c.warnings.len(), 5, "{:?}", c.warnings);
        let p = c.params.unwrap_or_else(|| panic!("params"));
        assert_eq!((p.trees, p.seed), (100, 7));
        assert!(parse("not toml [[[").warnings[0].contains("not valid TOML"));
    }

    #[test]
    fn geoip_is_a_top_level_path() {
        let c = parse("geoip = \"/data/GeoLite2-Country.mmdb\"\n[detect]\nseed = 1\n");
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(
            c.geoip.as_deref(),
            Some(Path::new("/data/GeoLite2-Country.mmdb"))
        );
        assert_eq!(parse("geoip = 3\n").warnings.len(), 1);
        assert_eq!(parse(DEFAULT_CONFIG).geoip, None);
    }
}

/// Writes the detection parameters into the `[detect]` table of the config file,
/// keeping its other settings (comments are not kept). Atomic.
pub fn save_params(
    path: &Path,
    params: &DetectParams,
    threshold: super::app::Threshold,
) -> Result<(), String> {
    // Edited in place, so the user's comments, layout and other settings stay as they were.
    let mut doc: toml_edit::DocumentMut = match std::fs::read_to_string(path) {
        Ok(text) => text.parse().map_err(|e: toml_edit::TomlError| {
            format!(
                "config {}: not valid TOML ({}); not changed",
                path.display(),
                e.message()
            )
        })?,
        Err(_) => toml_edit::DocumentMut::new(),
    };
    if !doc.get("detect").is_some_and(toml_edit::Item::is_table) {
        doc["detect"] = toml_edit::table();
    }
    let d = &mut doc["detect"];
    let list = |v: &[String]| toml_edit::value(v.iter().collect::<toml_edit::Array>());
    d["features"] = list(&params.features);
    d["log1p"] = list(&params.log1p);
    d["trees"] = toml_edit::value(params.trees as i64);
    d["sample"] = toml_edit::value(params.sample.unwrap_or(0) as i64);
    d["seed"] = toml_edit::value(params.seed as i64);
    match threshold {
        super::app::Threshold::Contamination(c) => d["contamination"] = toml_edit::value(c),
        super::app::Threshold::Auto => d["contamination"] = toml_edit::value("auto"),
        super::app::Threshold::TopK(_) => {
            if let Some(t) = d.as_table_mut() {
                t.remove("contamination");
            }
        }
    }
    let text = doc.to_string();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            format!(
                "{}: cannot create: {}",
                dir.display(),
                crate::ingest::io_cause(&e)
            )
        })?;
    }
    crate::report::file::write_file(path, text.as_bytes(), true).map_err(|e| e.to_string())
}

#[cfg(test)]
mod save_tests {
    use super::*;

    #[test]
    fn saved_parameters_load_back_and_other_settings_stay() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = dir.path().join("sub").join("config.toml");
        std::fs::create_dir_all(dir.path().join("sub")).unwrap_or_else(|e| panic!("{e}"));
        let original = "# my threatlens settings\n[ui]\ntheme = \"mono\" # easier on the eyes\n\n[detect]\n# fewer trees on the laptop\ntrees = 50\n";
        std::fs::write(&p, original).unwrap_or_else(|e| panic!("{e}"));
        let params = DetectParams {
            features: vec!["bytes_in".into(), "session_duration".into()],
            log1p: vec!["bytes_in".into()],
            trees: 150,
            sample: Some(512),
            seed: 7,
        };
        save_params(
            &p,
            &params,
            super::super::app::Threshold::Contamination(0.065),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let c = load(Some(&p));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(c.params, Some(params));
        assert_eq!(c.contamination.as_deref(), Some("0.065"));
        assert_eq!(c.theme.as_deref(), Some("mono"));
        // Comments and layout survive the rewrite.
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        for kept in [
            "# my threatlens settings",
            "# easier on the eyes",
            "# fewer trees on the laptop",
        ] {
            assert!(text.contains(kept), "{kept:?} lost:\n{text}");
        }
        assert!(text.contains("trees = 150"), "{text}");
    }
}
