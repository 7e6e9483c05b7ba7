#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod checks;
#[test]
fn pg_seeds() {
    for seed in std::fs::read_dir("fuzz/seeds/pg_messages").unwrap() {
        let path = seed.unwrap().path();
        let report = checks::check_pg_messages(&std::fs::read(&path).unwrap());
        let valid = path.file_name().unwrap().to_string_lossy().starts_with("valid-");
        assert!(report.clean || !valid, "{path:?}");
        println!("{path:?} {report:?}");
    }
}
