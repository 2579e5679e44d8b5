from synae.cli.app import main

main()
