fn main() -> std::process::ExitCode {
    pgstep::cli::run()
}
