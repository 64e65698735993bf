//! Reference for the start-up benchmark: the smallest ratatui program that draws one frame
//! and waits for a key, on the same terminal setup (raw mode, alternate screen).

use crossterm::event::{self, Event};
use ratatui::widgets::Paragraph;

fn main() -> std::io::Result<()> {
    let mut terminal = ratatui::init();
    terminal.draw(|f| f.render_widget(Paragraph::new("minimal frame ready"), f.area()))?;
    loop {
        if let Event::Key(_) = event::read()? {
            break;
        }
    }
    ratatui::restore();
    Ok(())
}
