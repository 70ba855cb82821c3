from source_stock_ticker_api.run import run

if __name__ == "__main__":
    run()
