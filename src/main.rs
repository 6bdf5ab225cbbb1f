fn main() {
    std::process::exit(tokenmaxx::cli::main());
}
