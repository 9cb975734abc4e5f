//! Whether `threatlens [FILE…]` opens the explorer or prints the headless summary, as less, lnav
//! and VisiData decide: the explorer whenever the output is a terminal, even with data arriving
//! on a pipe (`zcat logs.gz | threatlens -` reads the rows from stdin and the keys from the
//! controlling terminal, `/dev/tty`); the summary only when the output is not a terminal, or when
//! there is no terminal to read keys from.
//!
//! Owns that decision as a pure function of what the process sees ([`decide`]), so it is tested
//! without terminals; it must not open files or draw.

/// What the bare command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    /// Open the explorer.
    Explorer,
    /// Print the summary to stdout (with a note on stderr saying why).
    Headless,
}

/// What the process sees of its terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    /// stdin is a terminal.
    pub stdin: bool,
    /// stdout is a terminal.
    pub stdout: bool,
    /// A controlling terminal can be opened (`/dev/tty`), for keys when stdin is a pipe.
    pub controlling: bool,
}

impl Terminal {
    /// What this process sees now.
    pub fn probe() -> Self {
        use std::io::IsTerminal;
        let stdin = std::io::stdin().is_terminal();
        Self {
            stdin,
            stdout: std::io::stdout().is_terminal(),
            controlling: stdin || controlling_terminal(),
        }
    }
}

/// The explorer when the output is a terminal and keys can be read (from stdin, or from the
/// controlling terminal when stdin carries data); the headless summary otherwise.
pub fn decide(t: Terminal) -> Launch {
    if t.stdout && (t.stdin || t.controlling) {
        Launch::Explorer
    } else {
        Launch::Headless
    }
}

#[cfg(unix)]
fn controlling_terminal() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

#[cfg(not(unix))]
fn controlling_terminal() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(stdin: bool, stdout: bool, controlling: bool) -> Terminal {
        Terminal {
            stdin,
            stdout,
            controlling,
        }
    }

    #[test]
    fn a_terminal_on_stdout_opens_the_explorer_even_with_a_pipe_on_stdin() {
        assert_eq!(decide(t(true, true, true)), Launch::Explorer);
        // `zcat logs.gz | threatlens -`: rows from the pipe, keys from /dev/tty.
        assert_eq!(decide(t(false, true, true)), Launch::Explorer);
    }

    #[test]
    fn output_that_is_not_a_terminal_gets_the_summary() {
        assert_eq!(decide(t(true, false, true)), Launch::Headless);
        assert_eq!(decide(t(false, false, true)), Launch::Headless);
        assert_eq!(decide(t(false, false, false)), Launch::Headless);
    }

    #[test]
    fn no_terminal_to_read_keys_from_gets_the_summary() {
        assert_eq!(decide(t(false, true, false)), Launch::Headless);
    }
}
