//! The subscription catalogue: subscription types, their workflow nodes and default receivers.
//! Shipped as data (`assets/catalogue.json`) and loaded into SQLite, where the user's choices
//! are kept per (type, node) so a newer catalogue can add or relabel nodes without losing them.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    pub en: String,
    pub zh: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeDef {
    pub code: String,
    pub en: String,
    pub zh: String,
    /// Default receiver role (a key of `Catalogue::receivers`); cannot be removed.
    pub receiver: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDef {
    pub code: String,
    pub en: String,
    pub zh: String,
    pub nodes: Vec<NodeDef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    pub version: u32,
    pub receivers: BTreeMap<String, Labels>,
    pub types: Vec<TypeDef>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("the subscription catalogue is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the subscription catalogue is inconsistent: {0}")]
    Invalid(String),
}

const EMBEDDED: &str = include_str!("../../assets/catalogue.json");

impl Catalogue {
    pub fn parse(json: &str) -> Result<Catalogue, CatalogueError> {
        let cat: Catalogue = serde_json::from_str(json)?;
        cat.check()?;
        Ok(cat)
    }

    /// The catalogue built into this binary.
    pub fn embedded() -> &'static Catalogue {
        static CAT: OnceLock<Catalogue> = OnceLock::new();
        CAT.get_or_init(|| Catalogue::parse(EMBEDDED).expect("embedded catalogue is valid"))
    }

    fn check(&self) -> Result<(), CatalogueError> {
        let code_ok = |c: &str| {
            !c.is_empty()
                && c.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        };
        let mut seen_types = std::collections::HashSet::new();
        for t in &self.types {
            if !code_ok(&t.code) || !seen_types.insert(&t.code) {
                return Err(CatalogueError::Invalid(format!(
                    "bad or duplicate type code {:?}",
                    t.code
                )));
            }
            let mut seen_nodes = std::collections::HashSet::new();
            for n in &t.nodes {
                if !code_ok(&n.code) || !seen_nodes.insert(&n.code) {
                    return Err(CatalogueError::Invalid(format!(
                        "bad or duplicate node code {:?} in {}",
                        n.code, t.code
                    )));
                }
                if !self.receivers.contains_key(&n.receiver) {
                    return Err(CatalogueError::Invalid(format!(
                        "node {}/{} names unknown receiver {:?}",
                        t.code, n.code, n.receiver
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn find(&self, type_code: &str, node_code: &str) -> Option<(&TypeDef, &NodeDef)> {
        let t = self.types.iter().find(|t| t.code == type_code)?;
        let n = t.nodes.iter().find(|n| n.code == node_code)?;
        Some((t, n))
    }

    pub fn receiver_label<'a>(&'a self, role: &'a str) -> &'a str {
        self.receivers
            .get(role)
            .map(|l| l.en.as_str())
            .unwrap_or(role)
    }

    pub fn row_count(&self) -> usize {
        self.types.iter().map(|t| t.nodes.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogue_has_the_three_documented_types() {
        let cat = Catalogue::embedded();
        let codes: Vec<_> = cat.types.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, ["sql_task", "permission_apply", "data_export"]);
        let (t, n) = cat.find("sql_task", "to_be_approved").unwrap();
        assert_eq!(t.en, "SQL Task");
        assert_eq!(n.zh, "待审批");
        assert_eq!(cat.receiver_label(&n.receiver), "Approvers");
        assert_eq!(cat.row_count(), 17);
    }

    #[test]
    fn inconsistent_catalogue_is_rejected() {
        let bad = r#"{"version":1,"receivers":{},"types":[{"code":"x","en":"X","zh":"X","nodes":[{"code":"a","en":"A","zh":"A","receiver":"nobody"}]}]}"#;
        assert!(matches!(
            Catalogue::parse(bad),
            Err(CatalogueError::Invalid(_))
        ));
        assert!(matches!(
            Catalogue::parse("{"),
            Err(CatalogueError::Json(_))
        ));
    }
}
