from interpdb._fast import main

main()
