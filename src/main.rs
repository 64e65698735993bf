fn main() -> std::process::ExitCode {
    notifydesk::cli::main()
}
