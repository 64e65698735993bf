//! State of the Members tab.

use crate::member::Member;

#[derive(Debug, Default)]
pub struct MembersTab {
    pub members: Vec<Member>,
    pub loaded: bool,
    pub cursor: usize,
}

impl MembersTab {
    pub fn set(&mut self, members: Vec<Member>) {
        self.members = members;
        self.loaded = true;
        self.cursor = self.cursor.min(self.members.len().saturating_sub(1));
    }

    pub fn current(&self) -> Option<&Member> {
        self.members.get(self.cursor)
    }

    pub fn move_by(&mut self, delta: isize) {
        let n = self.members.len();
        if n == 0 {
            return;
        }
        self.cursor = (self.cursor as isize + delta).clamp(0, n as isize - 1) as usize;
    }
}
