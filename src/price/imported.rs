//! The imported tables (pricing/generated/, some 4,500 models in 2 MB of
//! TOML), read on demand. Parsing them all costs about 50 ms and 45 MB on
//! every run, for a report that prices a handful of models. So build.rs
//! indexes their names at build time (with the keys of names.rs), and a
//! model's TOML is parsed the first time a record names it.

use std::sync::OnceLock;

use rustc_hash::FxHashSet;

use super::EmbeddedTable;
use super::table::{self, ModelEntry};

mod index {
    include!(concat!(env!("OUT_DIR"), "/imported_index.rs"));

    pub fn text((start, end): (u32, u32)) -> &'static str {
        &TEXT[start as usize..end as usize]
    }

    /// (table, start, end, id) of model `b`.
    pub fn block(b: usize) -> (usize, usize, usize, &'static str) {
        let (t, start, end, id) = BLOCKS[b];
        (usize::from(t), start as usize, end as usize, text(id))
    }

    #[cfg(test)]
    pub fn key(i: usize) -> &'static str {
        text(KEYS[i].0)
    }
}

/// The embedded imported tables, each parsed model by model.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The tables, in build.rs's order.
    tables: &'static [EmbeddedTable],
    cells: Box<[OnceLock<Option<ModelEntry>>]>,
    /// Models an overlay replaced (by id): they answer to no name.
    removed: FxHashSet<u32>,
}

impl Imported {
    /// No imported tables (the curated book, a single table).
    pub fn none() -> Imported {
        Imported {
            tables: &[],
            cells: Box::new([]),
            removed: FxHashSet::default(),
        }
    }

    pub(crate) fn embedded(tables: &'static [EmbeddedTable]) -> Imported {
        Imported {
            tables,
            cells: (0..index::BLOCKS.len()).map(|_| OnceLock::new()).collect(),
            removed: FxHashSet::default(),
        }
    }

    fn enabled(&self) -> bool {
        !self.tables.is_empty()
    }

    /// The model a name key belongs to.
    pub fn key(&self, key: &str) -> Option<u32> {
        if !self.enabled() {
            return None;
        }
        let i = index::KEYS
            .binary_search_by(|&(k, _)| index::text(k).cmp(key))
            .ok()?;
        let b = index::KEYS[i].1;
        (!self.removed.contains(&b)).then_some(b)
    }

    /// Take the model with this id out (an overlay replaces it); true if
    /// there was one.
    pub fn remove_id(&mut self, id: &str) -> bool {
        if !self.enabled() {
            return false;
        }
        match (0..index::BLOCKS.len()).position(|b| index::block(b).3 == id) {
            Some(b) => self.removed.insert(b as u32),
            None => false,
        }
    }

    /// Models not removed.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.cells.len() as u32).filter(|b| !self.removed.contains(b))
    }

    /// The parsed model, `settle`d once (the book takes off the names later
    /// tables claim). None only if its TOML does not parse, which `check`
    /// reports and a test forbids for the shipped tables.
    pub fn get(&self, b: u32, settle: impl FnOnce(&mut ModelEntry)) -> Option<&ModelEntry> {
        self.cells
            .get(b as usize)?
            .get_or_init(|| {
                let mut m = self.parse(b).ok()?;
                settle(&mut m);
                Some(m)
            })
            .as_ref()
    }

    pub fn parse(&self, b: u32) -> anyhow::Result<ModelEntry> {
        let (t, start, end, id) = index::block(b as usize);
        let origin = self.tables[t].origin;
        let mut models = table::parse_table(origin, &self.tables[t].text()[start..end])?;
        match models.len() {
            1 => Ok(models.remove(0)),
            n => anyhow::bail!("{origin}: the block of `{id}` holds {n} models"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// build.rs reads each model's id and names by layout, not by parsing:
    /// every block must parse to exactly one model with those id and names.
    #[test]
    fn the_build_index_agrees_with_the_parser() {
        let imported = Imported::embedded(&crate::price::IMPORTED_TABLES);
        let mut n = 0;
        for (t, table) in crate::price::IMPORTED_TABLES.iter().enumerate() {
            let origin = table.origin;
            for b in crate::price::names::blocks(table.text()) {
                let (bt, start, end, id) = index::block(n);
                assert_eq!(
                    (bt, start, end, id),
                    (t, b.start, b.end, b.id.as_str()),
                    "{origin}"
                );
                let m = imported.parse(n as u32).unwrap();
                assert_eq!((m.id.as_str(), &m.names), (id, &b.names), "{origin}");
                n += 1;
            }
        }
        assert_eq!(n, index::BLOCKS.len());
        assert!((1..index::KEYS.len()).all(|i| index::key(i - 1) < index::key(i)));
    }
}
