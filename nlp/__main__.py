from nlp.cli import main

main()
