//! `threatlens completions SHELL` and `threatlens man`: shell completion scripts and a roff man
//! page generated from the clap definitions, so they never drift from the real options.
//!
//! Owns only the generation and where it is written (stdout); it must not parse data.

use super::{Cli, Failure};
use clap::{Args, CommandFactory, ValueEnum};

/// A shell to write completions for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Options of `threatlens completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh or fish.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the completion script for `a.shell` to stdout.
pub fn cmd_completions(a: &CompletionsArgs) -> Result<(), Failure> {
    let bytes = completions(a.shell);
    super::output::write_output(&super::output::Target::Stdout, &bytes, false)?;
    Ok(())
}

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    use clap_complete::Shell as S;
    let target = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
    };
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(target, &mut cmd, "threatlens", &mut out);
    out
}

/// Writes the man page (roff) to stdout.
pub fn cmd_man() -> Result<(), Failure> {
    let bytes = man_page().map_err(|e| Failure {
        code: 1,
        message: format!("cannot render the man page: {e}"),
    })?;
    super::output::write_output(&super::output::Target::Stdout, &bytes, false)?;
    Ok(())
}

/// The man page in roff: the top-level page, then one section per subcommand.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        // clap names are `&'static str` without its `string` feature; this runs once per process.
        let name: &'static str = format!("threatlens-{}", sub.get_name()).leak();
        let sub = sub.clone().name(name).display_name(name);
        let man = clap_mangen::Man::new(sub);
        out.extend_from_slice(b".bp\n");
        man.render_title(&mut out)?;
        man.render_name_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_description_section(&mut out)?;
        man.render_options_section(&mut out)?;
    }
    Ok(out)
}
