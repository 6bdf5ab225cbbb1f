// The hot path builds and drops many small values per log line (JSON
// fields, record strings) on several threads at once; mimalloc's
// thread-local free lists make that roughly half as costly as glibc's
// malloc, measured on agent transcripts (see benches/README.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(tokenmaxx::cli::main());
}
