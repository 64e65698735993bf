//! ITU-T E.164 country calling codes, to split `+<code><national number>` into its parts
//! (DingTalk wants overseas numbers as `+<code>-<national number>`).
//!
//! The set is prefix-free (no code starts another one), which is what makes a number without
//! separators unambiguous: its code is the one leading 1, 2 or 3 digits that are in the set.

/// Assigned codes, including the global services (800 freephone, 808 shared cost, 870
/// Inmarsat, 881 satellite, 882/883 international networks, 979 premium rate). Spare and
/// withdrawn codes (e.g. 210, 259, 28x, 384, 422, 671, 684, 693–699, 80x, 83x, 969, 99x
/// gaps) are left out on purpose.
const CODES: &[&str] = &[
    // Zone 1: North American Numbering Plan.
    "1", //
    // Zone 2: Africa and some islands.
    "20", "211", "212", "213", "216", "218", "220", "221", "222", "223", "224", "225", "226", "227",
    "228", "229", "230", "231", "232", "233", "234", "235", "236", "237", "238", "239", "240",
    "241", "242", "243", "244", "245", "246", "247", "248", "249", "250", "251", "252", "253",
    "254", "255", "256", "257", "258", "260", "261", "262", "263", "264", "265", "266", "267",
    "268", "269", "27", "290", "291", "297", "298", "299", //
    // Zones 3 and 4: Europe.
    "30", "31", "32", "33", "34", "350", "351", "352", "353", "354", "355", "356", "357", "358",
    "359", "36", "370", "371", "372", "373", "374", "375", "376", "377", "378", "379", "380",
    "381", "382", "383", "385", "386", "387", "389", "39", "40", "41", "420", "421", "423", "43",
    "44", "45", "46", "47", "48", "49", //
    // Zone 5: Mexico, Central and South America.
    "500", "501", "502", "503", "504", "505", "506", "507", "508", "509", "51", "52", "53", "54",
    "55", "56", "57", "58", "590", "591", "592", "593", "594", "595", "596", "597", "598",
    "599", //
    // Zone 6: Southeast Asia and Oceania.
    "60", "61", "62", "63", "64", "65", "66", "670", "672", "673", "674", "675", "676", "677",
    "678", "679", "680", "681", "682", "683", "685", "686", "687", "688", "689", "690", "691",
    "692", //
    // Zone 7: Russia and Kazakhstan.
    "7", //
    // Zone 8: East Asia and global services.
    "800", "808", "81", "82", "84", "850", "852", "853", "855", "856", "86", "870", "880", "881",
    "882", "883", "886", //
    // Zone 9: West, Central and South Asia, Middle East.
    "90", "91", "92", "93", "94", "95", "960", "961", "962", "963", "964", "965", "966", "967",
    "968", "970", "971", "972", "973", "974", "975", "976", "977", "979", "98", "992", "993",
    "994", "995", "996", "998",
];

/// Split ASCII digits (after the `+`) into (country code, national number); `None` if they
/// do not start with an assigned code.
pub(crate) fn split(digits: &str) -> Option<(&str, &str)> {
    (1..=3)
        .filter(|&n| n <= digits.len() && digits.is_char_boundary(n))
        .find(|&n| CODES.contains(&&digits[..n]))
        .map(|n| digits.split_at(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_prefix_free_unique_and_short() {
        for (i, a) in CODES.iter().enumerate() {
            assert!(
                (1..=3).contains(&a.len()) && a.bytes().all(|b| b.is_ascii_digit()),
                "{a}"
            );
            assert!(!a.starts_with('0'), "{a}");
            for b in &CODES[i + 1..] {
                assert!(
                    !a.starts_with(b) && !b.starts_with(a),
                    "{a} and {b} overlap"
                );
            }
        }
    }

    #[test]
    fn splits_known_codes() {
        assert_eq!(split("85291234567"), Some(("852", "91234567")));
        assert_eq!(split("14155552671"), Some(("1", "4155552671")));
        assert_eq!(split("442079460958"), Some(("44", "2079460958")));
        assert_eq!(split("79123456789"), Some(("7", "9123456789")));
        assert_eq!(split("8613800138000"), Some(("86", "13800138000")));
        assert_eq!(split("9991234567"), None);
        assert_eq!(split("0123"), None);
        assert_eq!(split(""), None);
        assert_eq!(split("85"), None);
    }
}
