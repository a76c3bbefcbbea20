//! [`NamedSettings`]: the settings a saved state was taken under (an optimizer's state, a
//! training checkpoint), as text by name, and the first that differs from those of now.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Settings as text by name, each written by `Display` or `Debug`, which write floats in the
/// fewest digits that read back as the same number: two settings are the same when their
/// texts are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct NamedSettings(BTreeMap<String, String>);

impl NamedSettings {
    /// The settings `settings`, as (name, text) pairs.
    pub(crate) fn new<const N: usize>(settings: [(&str, String); N]) -> Self {
        NamedSettings(settings.map(|(name, text)| (name.to_owned(), text)).into())
    }

    /// `Ok` when these settings, of a saved state, are those of `now`; else the first that
    /// differs, by name, in words: `it has seed = 0, this run has seed = 1`, `saved` and
    /// `now_side` naming the two sides.
    pub(crate) fn check(
        &self,
        now: &NamedSettings,
        saved: &str,
        now_side: &str,
    ) -> Result<(), String> {
        let describe = |settings: &NamedSettings, name: &str| match settings.0.get(name) {
            Some(text) => format!("{name} = {text}"),
            None => format!("no {name}"),
        };
        let mut names: Vec<&String> = self.0.keys().chain(now.0.keys()).collect();
        names.sort();
        match names.into_iter().find(|&n| self.0.get(n) != now.0.get(n)) {
            None => Ok(()),
            Some(name) => Err(format!(
                "{saved} has {}, {now_side} has {}",
                describe(self, name),
                describe(now, name)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_by_name_is_told() {
        let saved = NamedSettings::new([("b", "1".into()), ("a", "2".into())]);
        let now = NamedSettings::new([("b", "3".into()), ("c", "4".into())]);
        assert_eq!(saved.check(&saved.clone(), "x", "y"), Ok(()));
        assert_eq!(
            saved.check(&now, "the state", "this one"),
            Err("the state has a = 2, this one has no a".into())
        );
    }
}
