from interpdb.cli import main

main()
