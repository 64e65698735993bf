//! Plain-text tables for list commands: columns padded to their widest cell (display width, so
//! CJK names line up), two spaces apart, no trailing spaces.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

/// Print to standard output; a closed pipe (`| head`) is not an error.
pub fn print_table<R: AsRef<[String]>>(header: &[String], rows: &[R]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match write_table(&mut out, header, rows).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

pub fn write_table<R: AsRef<[String]>>(
    out: &mut impl Write,
    header: &[String],
    rows: &[R],
) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.as_ref()) {
            *w = (*w).max(cell.width());
        }
    }
    let mut line = |cells: &[String]| -> io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            text.extend(std::iter::repeat_n(' ', w.saturating_sub(cell.width())));
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(header)?;
    for row in rows {
        line(row.as_ref())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_by_display_width() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let mut out = Vec::new();
        write_table(
            &mut out,
            &s(&["NAME", "LOGIN"]),
            &[s(&["王芳", "wf"]), s(&["Bob Smith", "bob"])],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "NAME       LOGIN\n王芳       wf\nBob Smith  bob\n"
        );
    }
}
