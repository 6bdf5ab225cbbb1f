//! A price overlay (`--pricing FILE`, TOML) is user input: any bytes give a
//! price book or an error, never a panic, and a book that loads prices
//! every model it names.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokenmaxx::price::PriceBook;

/// The curated tables (tens of models), not the whole embedded book
/// (thousands): an overlay is merged the same way onto either, and
/// cloning and checking the whole book on every input made a run manage
/// about one input every 30 s.
fn base() -> &'static PriceBook {
    static B: OnceLock<PriceBook> = OnceLock::new();
    B.get_or_init(|| PriceBook::curated().expect("curated price tables"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(book) = base().clone().with_overlay_str("fuzz.toml", text) else {
        return;
    };
    let _ = book.check();
    let at = jiff::Timestamp::from_second(1_750_000_000).ok();
    let names: Vec<String> = book
        .models()
        .iter()
        .flat_map(|m| m.names.iter().cloned().chain([m.id.clone()]))
        .take(64)
        .collect();
    for name in &names {
        let _ = book.resolve(name, at);
        let _ = book.resolve(name, None);
        let _ = book.suggest(name, 3);
    }
});
