print("conf")
